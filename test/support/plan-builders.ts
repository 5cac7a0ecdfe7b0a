/**
 * Builders for planner tests: a DesiredOrg (as the loader would produce it: defaults filled in, addresses
 * lower case, lists unique and sorted) and a LiveView around an engine state from `buildState`.
 */
import { DEFAULT_POLICY, type DesiredOrg, type DesiredUser, type Policy } from "../../src/config/model.js";
import { type ConsoleState, normalizeAddress } from "../../src/domain/index.js";
import { buildPlan, type PlanOptions } from "../../src/plan/build.js";
import type { LiveView } from "../../src/plan/live.js";
import type { Plan } from "../../src/plan/model.js";
import { NOW, OWNER, PROVIDER } from "./builders.js";

export type PolicySpec = Partial<Omit<Policy, "unlisted" | "removal_threshold">> & {
  unlisted?: Partial<Policy["unlisted"]>;
  removal_threshold?: Partial<Policy["removal_threshold"]>;
};

export interface DesiredOrgSpec {
  organization?: Partial<DesiredOrg["organization"]>;
  policy?: PolicySpec;
  domains?: (string | { name: string })[];
  groups?: (string | { name: string; description?: string; previously?: string[] })[];
  /** Defaults to just the owner as `buildState` makes it. */
  users?: DesiredUser[];
}

/** A DesiredOrg with DEFAULT_POLICY (merged field by field with `spec.policy`) on the provider console.test. */
export function desiredOrg(spec: DesiredOrgSpec = {}): DesiredOrg {
  const policy: Policy = {
    ...DEFAULT_POLICY,
    ...spec.policy,
    unlisted: { ...DEFAULT_POLICY.unlisted, ...spec.policy?.unlisted },
    removal_threshold: { ...DEFAULT_POLICY.removal_threshold, ...spec.policy?.removal_threshold },
    ignore_profile_fields: [...(spec.policy?.ignore_profile_fields ?? DEFAULT_POLICY.ignore_profile_fields)],
  };
  return {
    organization: { name: "Test Org", plan: null, provider_domain: PROVIDER, ...spec.organization },
    policy,
    domains: (spec.domains ?? []).map((d) => ({ name: typeof d === "string" ? d : d.name })),
    groups: (spec.groups ?? []).map((g) =>
      typeof g === "string"
        ? { name: g, description: "", previously: [] }
        : { name: g.name, description: g.description ?? "", previously: g.previously ?? [] },
    ),
    users: spec.users ?? [desiredOwner()],
  };
}

/**
 * A desired user with the same defaults as `makeUser` (free member on the provider domain, names "First" and
 * the login), so that a desired user built from the same spec as a live one plans no change. Addresses are
 * normalized and lists made unique and sorted, as the loader does.
 */
export function desiredUser(login: string, partial: Partial<Omit<DesiredUser, "login">> = {}): DesiredUser {
  return {
    login,
    first_name: "First",
    last_name: login,
    plan: "free",
    role: "member",
    status: "active",
    owner: false,
    protected: false,
    profile: {},
    password: null,
    ...partial,
    email: normalizeAddress(partial.email ?? `${login}@${PROVIDER}`),
    aliases: [...new Set((partial.aliases ?? []).map(normalizeAddress))].sort(),
    groups: [...new Set(partial.groups ?? [])].sort(),
  };
}

/** The owner exactly as `buildState` makes it by default (org_admin on pro). */
export function desiredOwner(partial: Partial<Omit<DesiredUser, "login">> = {}): DesiredUser {
  return desiredUser(OWNER, { role: "org_admin", plan: "pro", owner: true, ...partial });
}

/** The console as the planner sees it: the state, the acting user (with its live role) and the console clock. */
export function liveView(state: ConsoleState, actorLogin = OWNER, now: Date = NOW): LiveView {
  const actor = state.users.get(actorLogin);
  if (!actor) throw new Error(`liveView: no user ${actorLogin} in the state`);
  return { state, actor: { login: actorLogin, role: actor.role }, now };
}

export const CONFIG_FILE = "org.yaml";
export const CONFIG_HASH = "0".repeat(64);
export const TARGET = "sandbox /tmp/orgctl-test/sandbox.db";

/** buildPlan with a fixed config file and hash. */
export function planFor(desired: DesiredOrg, live: LiveView, options: Partial<PlanOptions> = {}): Plan {
  return buildPlan(desired, live, {
    configFile: CONFIG_FILE,
    configHash: CONFIG_HASH,
    target: TARGET,
    ...options,
  });
}
