import { describe, expect, it } from "vitest";
import {
  type Actor,
  type ConsoleState,
  decide,
  type Operation,
  type RefusalCode,
} from "../../src/domain/index.js";
import { as, BY_OWNER, buildState, expectRefused, NOW, newUser, OWNER, SYSTEM } from "../support/builders.js";

/**
 * The details of a refusal are what the planner and clients build fixes from (which login, which address, how
 * much is missing), so each one is pinned here, exactly, together with the words of the message that name the
 * thing.
 */
const world = (): ConsoleState =>
  buildState({
    balance: 1000,
    orgPlan: "entry",
    domains: ["example.com", { name: "pending.example", status: "pending", token: "tok" }],
    retired: ["gone@console.test"],
    users: [
      { login: "oa", role: "org_admin", plan: "pro" },
      { login: "ua", role: "user_admin" },
      { login: "ba", role: "billing_admin" },
      { login: "mb", role: "member", aliases: ["mb.x@console.test", "mb@example.com"] },
      { login: "off", status: "disabled" },
      { login: "full", plan: "free" },
    ],
    groups: [{ name: "eng", members: ["mb"] }],
  });

interface Case {
  name: string;
  actor?: Actor;
  op: Operation;
  state?: () => ConsoleState;
  code: RefusalCode;
  details: Record<string, unknown> | undefined;
  says?: string[];
}

const cases: Case[] = [
  {
    name: "a member has no admin access",
    actor: as("mb"),
    op: { op: "create_group", name: "x", description: "" },
    code: "forbidden",
    details: { action: "manage_groups" },
    says: ["mb is a member"],
  },
  {
    name: "a role without the right",
    actor: as("ba"),
    op: { op: "create_group", name: "x", description: "" },
    code: "forbidden",
    details: { action: "manage_groups", role: "billing_admin" },
    says: ["a billing_admin may not manage groups"],
  },
  {
    name: "a user_admin on a non-member",
    actor: as("ua"),
    op: { op: "logout", login: "ba" },
    code: "forbidden",
    details: { action: "edit_user", role: "user_admin" },
    says: ["a user_admin may not edit user on users who are not plain members"],
  },
  {
    name: "a role without the right, no target",
    actor: as("ua"),
    op: { op: "top_up", amount_cents: 1, method: "test" },
    code: "forbidden",
    details: { action: "top_up", role: "user_admin" },
    says: ["a user_admin may not top up"],
  },
  {
    name: "a top-up of 0",
    op: { op: "top_up", amount_cents: 0, method: "test" },
    code: "invalid",
    details: { amount_cents: 0 },
    says: ["between 1 and 10000000"],
  },
  {
    name: "a card top-up",
    op: { op: "top_up", amount_cents: 1, method: "card" },
    code: "payment_failed",
    details: { method: "card" },
    says: ["card"],
  },
  {
    name: "an existing group name",
    op: { op: "create_group", name: "eng", description: "" },
    code: "conflict",
    details: { group: "eng" },
    says: ["group eng already exists"],
  },
  {
    name: "an unknown group",
    op: { op: "delete_group", name: "ops" },
    code: "not_found",
    details: { group: "ops" },
    says: ["group ops does not exist"],
  },
  {
    name: "a non-member removed from a group",
    op: { op: "remove_member", group: "eng", login: "oa" },
    code: "not_found",
    details: undefined,
    says: ["oa is not in group eng"],
  },
  {
    name: "the owner edited by another admin",
    actor: as("oa"),
    op: { op: "logout", login: OWNER },
    code: "owner_protected",
    details: { login: OWNER },
    says: ["owner is the owner"],
  },
  {
    name: "disabling oneself",
    actor: as("oa"),
    op: { op: "disable_user", login: "oa" },
    code: "self_action",
    details: { login: "oa" },
    says: ["nobody may disable themselves"],
  },
  {
    name: "an unknown plan",
    op: { op: "change_plan", login: "mb", plan: "gold" },
    code: "invalid",
    details: { plan: "gold" },
    says: ["plan gold is not in the catalog", "free, entry, pro, ultra"],
  },
  {
    name: "the plan the user has",
    op: { op: "change_plan", login: "mb", plan: "free" },
    code: "conflict",
    details: { login: "mb" },
    says: ["mb is already on free"],
  },
  {
    name: "a paid user with too little money",
    op: { op: "change_plan", login: "full", plan: "ultra" },
    state: () => buildState({ balance: 10, orgPlan: "pro", users: [{ login: "full", plan: "free" }] }),
    code: "insufficient_funds",
    details: { charge_cents: 25151, balance_cents: 10, short_cents: 25141 },
    says: ["top up at least 25141 cents"],
  },
  {
    name: "the last active org_admin",
    actor: SYSTEM,
    op: { op: "disable_user", login: OWNER },
    state: () => buildState(),
    code: "last_org_admin",
    details: { login: OWNER },
    says: ["owner is the last active org_admin"],
  },
  {
    name: "an invalid domain name",
    op: { op: "create_domain", name: "bad_domain", verification_token: "t" },
    code: "invalid",
    details: { domain: "bad_domain" },
  },
  {
    name: "a domain already added",
    op: { op: "create_domain", name: "Example.com", verification_token: "t" },
    state: () => buildState({ domains: ["example.com"] }),
    code: "conflict",
    details: { domain: "example.com" },
    says: ["domain example.com already exists"],
  },
  {
    name: "an unknown domain verified",
    op: { op: "verify_domain", name: "nope.example" },
    code: "not_found",
    details: { domain: "nope.example" },
  },
  {
    name: "an unknown domain removed",
    op: { op: "delete_domain", name: "nope.example" },
    code: "not_found",
    details: { domain: "nope.example" },
  },
  {
    name: "a user who exists already",
    op: { op: "create_user", user: newUser("mb", { email: "new@console.test" }) },
    code: "conflict",
    details: { login: "mb" },
  },
  {
    name: "re-disabling",
    op: { op: "disable_user", login: "off" },
    code: "conflict",
    details: { login: "off" },
    says: ["off is already disabled"],
  },
  {
    name: "enabling an active user",
    op: { op: "enable_user", login: "mb" },
    code: "conflict",
    details: { login: "mb" },
    says: ["mb is not disabled"],
  },
  {
    name: "deleting an active user",
    op: { op: "delete_user", login: "mb" },
    code: "must_disable_first",
    details: { login: "mb" },
    says: ["mb must be disabled"],
  },
  {
    name: "an alias the user has",
    op: { op: "add_alias", login: "mb", address: "MB@example.com" },
    code: "conflict",
    details: { address: "mb@example.com" },
  },
  {
    name: "an alias the user lacks",
    op: { op: "remove_alias", login: "mb", address: "nope@example.com" },
    code: "not_found",
    details: { address: "nope@example.com" },
  },
  {
    name: "an alias on a free plan",
    op: { op: "add_alias", login: "full", address: "f@console.test" },
    code: "alias_limit",
    details: { login: "full", limit: 0 },
    says: ["plan free allows 0 aliases and full would have 1"],
  },
  {
    name: "abuse@",
    op: { op: "add_alias", login: "oa", address: "abuse@example.com" },
    code: "address_reserved",
    details: { address: "abuse@example.com" },
  },
  {
    name: "a domain of no one",
    op: { op: "add_alias", login: "oa", address: "x@other.example" },
    code: "domain_unverified",
    details: { address: "x@other.example", domain: "other.example" },
    says: ["other.example is not a domain of this organization"],
  },
  {
    name: "a pending domain",
    op: { op: "add_alias", login: "oa", address: "x@pending.example" },
    code: "domain_unverified",
    details: {
      address: "x@pending.example",
      domain: "pending.example",
      txt_record: { name: "_orgctl-verification.pending.example", value: "orgctl-verification=tok" },
    },
  },
  {
    name: "a retired address",
    op: { op: "add_alias", login: "oa", address: "gone@console.test" },
    code: "address_taken",
    details: { address: "gone@console.test" },
    says: ["retired forever"],
  },
  {
    name: "another user's alias",
    op: { op: "add_alias", login: "oa", address: "mb.x@console.test" },
    code: "address_taken",
    details: { address: "mb.x@console.test", holder: "mb" },
  },
  {
    name: "logging in as someone else",
    actor: as("oa"),
    op: { op: "login", login: "mb" },
    code: "forbidden",
    details: { login: "mb" },
    says: ["only mb can log in as mb"],
  },
  {
    name: "a disabled user logging in",
    actor: SYSTEM,
    op: { op: "login", login: "off" },
    code: "account_disabled",
    details: undefined,
    says: ["off is disabled"],
  },
  {
    name: "a disabled actor",
    actor: as("off"),
    op: { op: "logout", login: "off" },
    code: "account_disabled",
    details: undefined,
    says: ["off is disabled and cannot act"],
  },
  {
    name: "an unknown actor",
    actor: as("ghost"),
    op: { op: "logout", login: "mb" },
    code: "forbidden",
    details: undefined,
    says: ["ghost does not exist"],
  },
  {
    name: "a third custom domain on entry",
    op: { op: "create_domain", name: "third.example", verification_token: "t" },
    code: "domain_limit",
    details: { limit: 1, used: 2 },
    says: ["3 custom domains but the entry org plan allows 1"],
  },
];

describe("refusal details and the words that name the thing", () => {
  it.each(cases)("$name: $code", (c) => {
    const refusal = expectRefused(decide((c.state ?? world)(), c.actor ?? BY_OWNER, c.op, NOW), c.code);
    expect(refusal.details).toEqual(c.details);
    for (const words of c.says ?? []) expect(refusal.message).toContain(words);
  });
});
