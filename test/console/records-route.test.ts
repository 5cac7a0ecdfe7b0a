/**
 * The one list route for records kept by name (`API.records`), over a real socket: every kind of
 * `RECORD_KINDS` as the console keeps it, paged with signed cursors bound to the kind, read by every admin
 * role and no member, JSON errors, not audited; and the client's generic read of it (record-lists.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { ConsoleClient } from "../../src/client/console-client.js";
import { readRecordLists, recordListCounts } from "../../src/client/record-lists.js";
import { RECORD_KINDS } from "../../src/domain/index.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";
import { actor, expectError, expectStatus } from "./helpers.js";

const consoles: TestConsole[] = [];
async function start(): Promise<TestConsole> {
  const ts = await startTestConsole({ now: "2026-03-01T12:00:00Z", balanceCents: 1_000_000 });
  consoles.push(ts);
  return ts;
}
afterEach(async () => {
  await Promise.all(consoles.splice(0).map((c) => c.close()));
});

/** Three groups and two verified domains. */
async function seed(ts: TestConsole): Promise<void> {
  for (const name of ["g3", "g1", "g2"]) {
    expectStatus(await ts.api("POST", "/v1/groups", { name, description: `group ${name}` }), 201);
  }
  for (const name of ["b.example", "a.example"]) {
    expectStatus(await ts.api("POST", "/v1/domains", { name }), 201);
    expectStatus(await ts.api("POST", `/v1/domains/${name}/verify`), 200);
  }
}

/** Every item of `/v1/records/{kind}`, `limit` at a time, following the cursors. */
async function pages(ts: TestConsole, kind: string, limit: number): Promise<unknown[][]> {
  const out: unknown[][] = [];
  let cursor: string | null = null;
  do {
    const res = await ts.api("GET", `/v1/records/${kind}?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    expectStatus(res, 200);
    expect(res.headers.get("etag")).toMatch(/^"\d+"$/);
    out.push(res.body.items as unknown[]);
    cursor = res.body.next_cursor as string | null;
  } while (cursor);
  return out;
}

describe("the records route", () => {
  it("lists every kind kept by name, by name, as the console keeps it, in pages", async () => {
    const ts = await start();
    await seed(ts);
    const groups = await pages(ts, "groups", 2);
    expect(groups).toEqual([
      [
        { name: "g1", description: "group g1", members: [] },
        { name: "g2", description: "group g2", members: [] },
      ],
      [{ name: "g3", description: "group g3", members: [] }],
    ]);
    // The same records as the group route of their own.
    expect(groups.flat()).toEqual((await ts.api("GET", "/v1/groups")).body.items);
    const domains = (await pages(ts, "domains", 1)).flat() as { name: string; status: string }[];
    expect(domains.map((d) => [d.name, d.status])).toEqual([
      ["a.example", "verified"],
      ["b.example", "verified"],
    ]);
    // Offsets page it too (the client reads long lists concurrently by offset).
    const second = await ts.api("GET", "/v1/records/groups?limit=1&offset=1");
    expect(second.body.items).toEqual([{ name: "g2", description: "group g2", members: [] }]);
    // Every kind is listed, and the org counts each one.
    const org = await ts.api("GET", "/v1/org");
    for (const kind of Object.keys(RECORD_KINDS)) {
      const all = (await pages(ts, kind, 1000)).flat();
      expect(all.length, kind).toBe(org.body.counts[kind]);
    }
    expect(org.body.counts).toMatchObject({ users: 1, groups: 3, domains: 2 });
  });

  it("refuses a cursor of another kind, an edited or invented one, and an unknown kind, in JSON", async () => {
    const ts = await start();
    await seed(ts);
    const first = await ts.api("GET", "/v1/records/groups?limit=1");
    const cursor = first.body.next_cursor as string;
    expectStatus(await ts.api("GET", `/v1/records/groups?limit=1&cursor=${cursor}`), 200);
    expectError(await ts.api("GET", `/v1/records/domains?limit=1&cursor=${cursor}`), 400, "invalid");
    expectError(await ts.api("GET", `/v1/groups?limit=1&cursor=${cursor}`), 400, "invalid");
    const groupsCursor = (await ts.api("GET", "/v1/groups?limit=1")).body.next_cursor as string;
    expectError(await ts.api("GET", `/v1/records/groups?limit=1&cursor=${groupsCursor}`), 400, "invalid");
    expectError(await ts.api("GET", "/v1/records/groups?cursor=ImFiYyI"), 400, "invalid");
    expectError(await ts.api("GET", "/v1/records/groups?limit=5000"), 400, "invalid");
    for (const kind of ["no-such-kind", "__proto__", "constructor", "users"]) {
      const res = await ts.api("GET", `/v1/records/${kind}`);
      expectError(res, 404, "not_found");
      expect(res.body.error.message).toContain(Object.keys(RECORD_KINDS).join(", "));
    }
  });

  it("is read by every admin role, and by no member or anonymous caller", async () => {
    const ts = await start();
    await seed(ts);
    for (const role of ["billing_admin", "user_admin"] as const) {
      const token = await actor(ts, `r-${role.replace("_", "-")}`, role);
      const res = await ts.api("GET", "/v1/records/groups", undefined, { token });
      expectStatus(res, 200);
      expect(res.body.items).toHaveLength(3);
    }
    const member = await actor(ts, "mia", "member");
    expectError(await ts.api("GET", "/v1/records/groups", undefined, { token: member }), 403, "forbidden");
    expectError(
      await ts.api("GET", "/v1/records/groups", undefined, { token: null }),
      401,
      "unauthenticated",
    );
  });

  it("is served in each organization of the console, and is not audited, like every read", async () => {
    const ts = await start();
    await seed(ts);
    const audit = async () =>
      (await ts.api("GET", "/v1/audit?limit=1000")).body.items as { outcome: string; code: string | null }[];
    const before = (await audit()).length;
    expectStatus(await ts.api("GET", "/v1/records/groups"), 200);
    expectStatus(await ts.api("GET", "/v1/records/domains?limit=1"), 200);
    expect((await audit()).length).toBe(before);
    // A refusal is audited, as on every route.
    expectError(await ts.api("GET", "/v1/records/nothing"), 404, "not_found");
    const after = await audit();
    expect(after.length).toBe(before + 1);
    expect(after[0]).toMatchObject({ outcome: "refused", code: "not_found" });
    const slug = (await ts.api("GET", "/v1/orgs")).body.items[0].slug as string;
    const scoped = await ts.api("GET", `/v1/orgs/${slug}/records/groups`);
    expectStatus(scoped, 200);
    expect(scoped.body.items).toHaveLength(3);
  });
});

describe("the generic live read", () => {
  it("reads each kind through the records route, checked against the org's counts", async () => {
    const ts = await start();
    await seed(ts);
    const client = new ConsoleClient({ endpoint: ts.url, token: OWNER_TOKEN });
    const org = await ts.api("GET", "/v1/org");
    const read = await readRecordLists(client, org.body.counts, ["groups", "domains"]);
    const lists = read.lists as Record<string, { name: string }[]>;
    expect(lists.groups!.map((g) => g.name)).toEqual(["g1", "g2", "g3"]);
    expect(lists.domains!.map((d) => d.name)).toEqual(["a.example", "b.example"]);
    expect(read.etags).toEqual([org.body.revision, org.body.revision]);
    // A list shorter than its count is told apart (readLive then refuses a partial read).
    const counts = recordListCounts({ ...org.body.counts, groups: 4 }, read.lists, ["groups", "domains"]);
    expect(counts.expected).toEqual({ groups: 4, domains: 2 });
    expect(counts.read).toEqual({ groups: 3, domains: 2 });
    expect(counts.nouns).toEqual({ groups: "group", domains: "domain" });
  });
});
