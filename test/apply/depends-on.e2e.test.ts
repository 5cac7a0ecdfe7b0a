/**
 * Apply follows the plan's depends_on and nothing else, against the real console over HTTP. A domain whose
 * TXT record was seen at plan time is gone at apply time: its verification fails, and exactly what needs it
 * (an alias of the owner on it) is skipped. The owner's membership in a new group needs only the group, so
 * it runs, although it is a change to the same user.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApplyEvent } from "../../src/apply/events.js";
import { applyPlan } from "../../src/apply/execute.js";
import { ConsoleClient } from "../../src/client/console-client.js";
import { parseConfig } from "../../src/config/load.js";
import { buildPlan } from "../../src/plan/build.js";
import { liveView } from "../../src/plan/live.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole, type TestConsole } from "../support/console.js";

const ORG_YAML = `version: 1
organization:
  name: Example Org
  plan: pro
domains:
  - name: pending.example
groups:
  - name: office
users:
${OWNER_USER_YAML}    aliases: [admin@pending.example]
    groups: [office]
`;

describe("apply skips exactly the transitive depends_on dependents of a failed step", () => {
  let ts: TestConsole;
  let client: ConsoleClient;

  beforeAll(async () => {
    // The dns verifier with a resolver that finds nothing: the domain stays pending.
    ts = await startTestConsole({ verifier: "dns", resolveTxt: async () => [] });
    client = new ConsoleClient({ endpoint: ts.url, token: OWNER_TOKEN });
  });
  afterAll(async () => {
    await client?.close();
    await ts?.close();
  });

  it("fails the verification, skips the alias on that domain, and still adds the owner to the new group", async () => {
    const created = await ts.api("POST", "/v1/domains", { name: "pending.example" });
    expect(created.status).toBe(201);
    const txt = created.body.verification.value as string;

    const config = parseConfig(Buffer.from(ORG_YAML), "org.yaml");
    const live = liveView(await client.readLive());
    // At plan time DNS showed the record, so the verification and the alias are planned, not blocked.
    const plan = buildPlan(config.desired, live, {
      configFile: "org.yaml",
      configHash: config.hash,
      target: ts.url,
      verifiedTxt: new Map([["pending.example", [txt]]]),
    });
    expect(plan.errors).toEqual([]);
    const deps = Object.fromEntries(plan.steps.map((s) => [s.id, s.depends_on]));
    expect(deps).toEqual({
      "domain/pending.example:verify_domain": [],
      "alias/admin@pending.example:add_alias": ["domain/pending.example:verify_domain"],
      "group/office:create_group": [],
      "membership/office/admin:add_member": ["group/office:create_group"],
    });

    const events: ApplyEvent[] = [];
    const summary = await applyPlan(plan, {
      client,
      parallelism: 4,
      emit: (event) => events.push(event),
      resolveSecret: () => "unused",
    });
    const outcome = (type: ApplyEvent["type"]) =>
      events
        .filter((e) => e.type === type)
        .map((e) => (e as { id: string }).id)
        .sort();
    expect(outcome("step_failed")).toEqual(["domain/pending.example:verify_domain"]);
    expect(events.find((e) => e.type === "step_failed")).toMatchObject({ code: "domain_unverified" });
    expect(outcome("step_skipped")).toEqual(["alias/admin@pending.example:add_alias"]);
    expect(outcome("step_done")).toEqual(["group/office:create_group", "membership/office/admin:add_member"]);
    expect(summary).toMatchObject({ status: "failed", done: 2, failed: 1, skipped: 1, not_started: 0 });

    const owner = await ts.api("GET", "/v1/users/admin");
    expect(owner.body.groups).toEqual(["office"]);
    expect(owner.body.aliases).toEqual([]);
  });
});
