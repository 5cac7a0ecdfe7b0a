/**
 * The record-kind table (`RECORD_KINDS` in model.ts) and what is derived from it: the noun each kind's audit
 * targets and planner keys use, which kinds the console's one records route lists (`LISTED_KINDS`), the
 * route's kind lookup (`recordKindNamed`) and the empty maps a state starts from (`emptyRecordMaps`).
 */
import { describe, expect, it } from "vitest";
import {
  type Effect,
  emptyRecordMaps,
  LISTED_KINDS,
  type Operation,
  RECORD_KIND_LIST,
  RECORD_KINDS,
  recordKindNamed,
  step,
} from "../../src/domain/index.js";
import { targetOf } from "../../src/domain/operations.js";
import { BY_OWNER, buildState, expectOk, NOW } from "../support/builders.js";

/** Every operation that writes records kept by name, each run on a state where it passes. */
const RECORD_OPERATIONS: Operation[] = [
  { op: "create_domain", name: "new.example", verification_token: "t" },
  { op: "verify_domain", name: "pending.example" },
  { op: "delete_domain", name: "old.example" },
  { op: "create_group", name: "ops", description: "" },
  { op: "update_group", name: "eng", description: "Engineering" },
  { op: "rename_group", name: "eng", to: "dev" },
  { op: "add_member", group: "eng", login: "al" },
  { op: "delete_group", name: "eng" },
];

const recordEffects = (operation: Operation) => {
  const s = buildState({
    users: [{ login: "al" }],
    domains: [{ name: "pending.example", status: "pending" }, "old.example"],
    groups: [{ name: "eng" }],
  });
  return expectOk(step(s, BY_OWNER, operation, NOW)).effects.filter(
    (effect): effect is Extract<Effect, { type: "put_record" | "delete_record" }> =>
      effect.type === "put_record" || effect.type === "delete_record",
  );
};

describe("the record kinds (RECORD_KINDS)", () => {
  it.each(RECORD_OPERATIONS)(
    "%j: the audit target names each record it writes by its kind's noun",
    (operation) => {
      const effects = recordEffects(operation);
      expect(effects.length).toBeGreaterThan(0);
      // The console finds the record of an answer by the target's noun (`record-answers.ts`): `domain/x`.
      const noun = targetOf(operation).split("/")[0];
      for (const effect of effects) expect(RECORD_KINDS[effect.kind].noun).toBe(noun);
    },
  );

  it("every kind is written by some operation, each under a noun of its own", () => {
    const written = new Set(
      RECORD_OPERATIONS.flatMap((operation) => recordEffects(operation).map((e) => e.kind)),
    );
    expect([...written].sort()).toEqual([...RECORD_KIND_LIST].sort());
    const nouns = RECORD_KIND_LIST.map((kind) => RECORD_KINDS[kind].noun);
    expect(new Set(nouns).size).toBe(RECORD_KIND_LIST.length);
    expect(nouns).toEqual(["domain", "group"]);
  });

  it("domains and groups have list routes of their own, so the records route lists no kind today", () => {
    expect(RECORD_KIND_LIST).toEqual(["domains", "groups"]);
    expect(RECORD_KINDS.domains.ownList).toBe(true);
    expect(RECORD_KINDS.groups.ownList).toBe(true);
    expect(LISTED_KINDS).toEqual([]);
  });

  it("recordKindNamed knows each kind by its own name, and nothing else", () => {
    for (const kind of RECORD_KIND_LIST) expect(recordKindNamed(kind)).toBe(kind);
    // Not its noun, not another table, not a key every object inherits.
    for (const name of [
      "domain",
      "group",
      "users",
      "",
      "toString",
      "constructor",
      "__proto__",
      "hasOwnProperty",
    ]) {
      expect(recordKindNamed(name)).toBeNull();
    }
  });

  it("emptyRecordMaps gives an empty map for every kind, new on each call", () => {
    const maps = emptyRecordMaps();
    expect(Object.keys(maps)).toEqual(RECORD_KIND_LIST);
    for (const kind of RECORD_KIND_LIST) {
      expect(maps[kind]).toBeInstanceOf(Map);
      expect(maps[kind].size).toBe(0);
    }
    maps.groups.set("eng", { name: "eng", description: "", members: [] });
    expect(emptyRecordMaps().groups.size).toBe(0);
  });
});
