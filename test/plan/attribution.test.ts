/** Drift attribution: which audit entry explains which drifted step. */
import { describe, expect, it } from "vitest";
import { type AuditRecord, attribute } from "../../src/plan/attribution.js";
import { buildPlan, step } from "../render/builder.js";

const entry = (over: Partial<AuditRecord> & Pick<AuditRecord, "action" | "target">): AuditRecord => ({
  at: "2026-03-01T12:00:00.000Z",
  actor: { kind: "user", login: "alice", credential: { id: "tok_1", kind: "api", name: "ci" } },
  fields: [],
  outcome: "ok",
  ...over,
});

describe("attribute", () => {
  it("names the newest ok entry that changed the drifted fields, membership or record", () => {
    const plan = buildPlan({
      steps: [
        step({
          id: "user/tom:update_user",
          kind: "user",
          action: "update_user",
          symbol: "~",
          summary: "update user tom: last_name",
          changes: [{ path: "/last_name", from: "Brown", to: "Green" }],
        }),
        step({
          id: "membership/eng/tom:add_member",
          kind: "membership",
          action: "add_member",
          symbol: "+",
          summary: "add",
          key: "eng/tom",
        }),
        step({
          id: "user/zoe:create_user",
          kind: "user",
          action: "create_user",
          symbol: "+",
          summary: "create",
        }),
        step({
          id: "alias/t@x.org:remove_alias",
          kind: "alias",
          action: "remove_alias",
          symbol: "-",
          summary: "rm",
          key: "t@x.org",
        }),
        step({
          id: "group/ops:update_group",
          kind: "group",
          action: "update_group",
          symbol: "~",
          summary: "upd",
          changes: [{ path: "/description", from: "a", to: "b" }],
        }),
      ],
    });
    const entries = [
      // newest first
      entry({
        action: "update_user",
        target: "user/tom",
        fields: ["/profile/mobile"],
        at: "2026-03-05T00:00:00.000Z",
      }),
      entry({
        action: "update_user",
        target: "user/tom",
        fields: ["/last_name"],
        at: "2026-03-04T00:00:00.000Z",
        actor: { kind: "user", login: "bob", credential: { id: "ses_1", kind: "session", name: "login" } },
      }),
      entry({
        action: "update_user",
        target: "user/tom",
        fields: ["/last_name"],
        at: "2026-03-03T00:00:00.000Z",
        outcome: "refused",
      }),
      entry({ action: "remove_member", target: "group/eng", fields: ["/members/tom"] }),
      entry({
        action: "delete_user",
        target: "user/zoe",
        actor: { kind: "system", login: null, credential: null },
      }),
      entry({ action: "add_alias", target: "user/tom", fields: ["/aliases"] }),
    ];
    const n = attribute(plan, entries, (address) => (address === "t@x.org" ? "tom" : null));
    expect(n).toBe(4);
    const [tom, member, zoe, alias, group] = plan.steps;
    expect(tom!.attribution).toEqual({
      by: "bob",
      via: "session",
      at: "2026-03-04T00:00:00.000Z",
      action: "update_user",
    });
    expect(member!.attribution).toMatchObject({
      by: "alice",
      via: 'api token "ci"',
      action: "remove_member",
    });
    expect(zoe!.attribution).toMatchObject({ by: null, via: "console", action: "delete_user" });
    expect(alias!.attribution).toMatchObject({ action: "add_alias" });
    expect(group!.attribution).toBeUndefined();
  });
});
