/**
 * Every kind of step a plan can hold is shown in a section of its own, titled from the kind table: a kind
 * missing from the table's sections would fall into "Other:" (or, before the table, not be printed at all).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareSteps } from "../../src/plan/schedule.js";
import {
  KIND_ORDER,
  PLANNED_OPERATIONS,
  RESOURCE_KIND_LIST,
  RESOURCE_KINDS,
  STEP_KINDS,
} from "../../src/plan/step-kinds.js";
import { KIND_SECTIONS, renderText } from "../../src/render/text.js";
import { buildPlan, step } from "./builder.js";

/** The kinds the step table gives its operations: what a plan can actually hold. */
const plannedKinds = [...new Set(PLANNED_OPERATIONS.map((op) => STEP_KINDS[op].kind))];

describe("the kind table's sections", () => {
  it("has a section for every kind a planned operation has, and a title for each", () => {
    const sectioned = KIND_SECTIONS.map((s) => s.kind);
    for (const kind of plannedKinds) expect(sectioned, `no render section for kind ${kind}`).toContain(kind);
    expect(sectioned).toEqual(RESOURCE_KIND_LIST);
    const titles = KIND_SECTIONS.map((s) => s.title);
    for (const title of titles) expect(title).toMatch(/^[A-Z][a-z]+$/);
    expect(new Set(titles).size).toBe(titles.length);
  });

  it("prints a step of every planned operation under its kind's title, never under Other", () => {
    const steps = PLANNED_OPERATIONS.map((action) => {
      const kind = STEP_KINDS[action].kind;
      const key = kind === "membership" ? "eng/bob" : `${kind}-${action}`;
      return step({
        id: `${kind}/${key}:${action}`,
        key,
        kind,
        action,
        symbol: "~",
        summary: `do ${action}`,
      });
    });
    const out = renderText(buildPlan({ steps }), { color: false });
    expect(out).not.toContain("Other:");
    const blocks = out.split("\n\n");
    for (const s of steps) {
      const block = blocks.find((b) => b.includes(` do ${s.action} · #`));
      expect(block, `${s.action} is not printed`).toBeDefined();
      expect(block!.split("\n")[0]).toBe(`${RESOURCE_KINDS[s.kind].title}:`);
    }
  });

  it("are the kinds a plan file may name (schemas/plan.schema.json)", () => {
    const schema = JSON.parse(
      readFileSync(join(import.meta.dirname, "..", "..", "schemas", "plan.schema.json"), "utf8"),
    ) as { $defs: { step: { properties: { kind: { enum: string[] } } } } };
    expect([...schema.$defs.step.properties.kind.enum].sort()).toEqual([...RESOURCE_KIND_LIST].sort());
  });

  it("sorts steps by the table's order of kinds before their keys", () => {
    const draft = (kind: (typeof RESOURCE_KIND_LIST)[number], key: string) =>
      ({ kind, key, id: `${kind}/${key}` }) as Parameters<typeof compareSteps>[0];
    const shuffled = [...RESOURCE_KIND_LIST].reverse().map((kind) => draft(kind, "a"));
    expect(shuffled.sort(compareSteps).map((s) => s.kind)).toEqual(RESOURCE_KIND_LIST);
    expect(RESOURCE_KIND_LIST.map((k) => KIND_ORDER[k])).toEqual(RESOURCE_KIND_LIST.map((_, i) => i));
    expect(compareSteps(draft("user", "zed"), draft("alias", "a"))).toBeLessThan(0);
  });
});
