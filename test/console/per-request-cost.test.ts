/**
 * What keeps the console's cost per request flat (the renewal watermark, membership deltas, a user's own
 * groups, request validators built on first use) must leave every answer exactly as before.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { RequestValidators } from "../../src/console/api-schema.js";
import { membershipDelta } from "../../src/console/store.js";
import { startTestConsole, type TestConsole, type TestConsoleOptions } from "../support/console.js";
import {
  balanceOf,
  createUser,
  expectStatus,
  type LedgerEntry,
  ledgerOf,
  movableClock,
  type UserBody,
  userOf,
} from "./helpers.js";

const consoles: TestConsole[] = [];
const dirs: string[] = [];
async function start(options: TestConsoleOptions = {}): Promise<TestConsole> {
  const ts = await startTestConsole(options);
  consoles.push(ts);
  return ts;
}
afterEach(async () => {
  await Promise.all(consoles.splice(0).map((ts) => ts.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const renewals = async (ts: TestConsole) =>
  (await ledgerOf(ts))
    .filter((e: LedgerEntry) => e.reason === "renewal")
    .map((e: LedgerEntry) => [e.login, e.memo]);

describe("renewals with a watermark", () => {
  it("charges each period exactly once on its own day, however many requests come in between", async () => {
    const clock = movableClock("2026-03-01T12:00:00Z");
    const ts = await start({ now: clock.now });
    await createUser(ts, "rita", { plan: "entry" });
    clock.set("2026-03-10T09:00:00Z");
    await createUser(ts, "sam", { plan: "entry" });
    clock.set("2026-03-20T09:00:00Z");
    await createUser(ts, "tom", { plan: "entry" });
    // tom was the latest; deleting the earliest user (rita) leaves the watermark earlier than needed.
    expectStatus(await ts.api("POST", "/v1/users/rita/disable"), 200);
    expectStatus(await ts.api("DELETE", "/v1/users/rita"), 204);

    clock.set("2027-02-28T23:59:59Z");
    for (let i = 0; i < 3; i++) expectStatus(await ts.api("GET", "/v1/org"), 200);
    expect(await renewals(ts)).toEqual([]);

    clock.set("2027-03-01T00:00:01Z");
    for (let i = 0; i < 3; i++) expectStatus(await ts.api("GET", "/v1/org"), 200);
    // The org plan (pro) renews on the same day as the owner, first: it is in the watermark too.
    const first = [
      [null, "organization on the pro org plan from 2027-03-01"],
      ["admin", "admin on pro from 2027-03-01"],
    ];
    expect(await renewals(ts)).toEqual(first);

    clock.set("2027-03-09T23:00:00Z");
    expectStatus(await ts.api("PATCH", "/v1/users/sam", { first_name: "Samuel" }), 200);
    expect(await renewals(ts)).toEqual(first);

    clock.set("2027-03-10T00:00:00Z");
    expectStatus(await ts.api("PATCH", "/v1/users/sam", { first_name: "Sam" }), 200);
    expectStatus(await ts.api("GET", "/v1/users"), 200);
    expect(await renewals(ts)).toEqual([...first, ["sam", "sam on entry from 2027-03-10"]]);

    // A day past tom's renewal, after a restart: the watermark is worked out again from the database.
    await consoles.pop()!.running.close();
    clock.set("2027-03-21T08:00:00Z");
    const again = await start({ now: clock.now, dir: ts.dir });
    dirs.push(ts.dir);
    expectStatus(await again.api("GET", "/v1/org"), 200);
    expectStatus(await again.api("GET", "/v1/org"), 200);
    expect(await renewals(again)).toEqual([
      ...first,
      ["sam", "sam on entry from 2027-03-10"],
      ["tom", "tom on entry from 2027-03-20"],
    ]);
    expect(await userOf(again, "tom")).toMatchObject({
      period_start: "2027-03-20",
      period_end: "2028-03-19",
    });
  });

  it("an unpaid user is renewed on the first request after the wallet can pay, not before", async () => {
    const clock = movableClock("2026-03-01T12:00:00Z");
    const ts = await start({ now: clock.now, balanceCents: 9000 + 4200 });
    await createUser(ts, "rita", { plan: "entry" });
    clock.set("2027-03-02T10:00:00Z");
    expect((await userOf(ts, "rita")).billing).toBe("unpaid");
    // Requests that change neither the wallet nor the users do not renew anyone.
    for (let i = 0; i < 3; i++) expectStatus(await ts.api("GET", "/v1/users"), 200);
    expect(await renewals(ts)).toEqual([]);
    // Enough for rita (entry) but not for the owner (pro): rita is renewed from today, the owner stays unpaid.
    expectStatus(await ts.api("POST", "/v1/wallet/top-ups", { amount_cents: 4200, method: "test" }), 201);
    expect(await userOf(ts, "rita")).toMatchObject({ billing: "ok", period_start: "2027-03-02" });
    expect((await userOf(ts, "admin")).billing).toBe("unpaid");
    expect(await renewals(ts)).toEqual([["rita", "rita on entry from 2027-03-02"]]);
    expect(await balanceOf(ts)).toBe(0);
    // A later top-up renews the owner on the next request, once.
    clock.set("2027-03-05T10:00:00Z");
    expectStatus(await ts.api("POST", "/v1/wallet/top-ups", { amount_cents: 9000, method: "test" }), 201);
    expectStatus(await ts.api("GET", "/v1/org"), 200);
    expect(await renewals(ts)).toEqual([
      ["rita", "rita on entry from 2027-03-02"],
      ["admin", "admin on pro from 2027-03-05"],
    ]);
  });
});

/** The group_members rows of the database, as group → sorted logins. */
function membershipRows(dbPath: string): Record<string, string[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db
      .prepare("SELECT group_name, login FROM group_members ORDER BY group_name, login")
      .all() as {
      group_name: string;
      login: string;
    }[];
    const out: Record<string, string[]> = {};
    for (const row of rows) out[row.group_name] = [...(out[row.group_name] ?? []), row.login];
    return out;
  } finally {
    db.close();
  }
}

describe("membership writes", () => {
  it("leave exactly the right rows after joins, leaves, deletions and renames", async () => {
    const ts = await start();
    for (const name of ["all", "ops", "dev"])
      expectStatus(await ts.api("POST", "/v1/groups", { name, description: name }), 201);
    for (const login of ["cy", "al", "bo", "dee"]) await createUser(ts, login, { groups: ["all", "dev"] });
    expectStatus(await ts.api("PUT", "/v1/groups/ops/members/bo"), 200);
    expectStatus(await ts.api("PUT", "/v1/groups/ops/members/al"), 200);
    expectStatus(await ts.api("DELETE", "/v1/groups/dev/members/cy"), 200);
    for (const login of ["bo", "dee"]) expectStatus(await ts.api("POST", `/v1/users/${login}/disable`), 200);
    expectStatus(await ts.api("POST", "/v1/users/bulk", { action: "delete", logins: ["bo", "dee"] }), 200);
    expectStatus(await ts.api("POST", "/v1/groups/ops/rename", { name: "sre" }), 200);
    await createUser(ts, "bob", { groups: ["sre"] });

    const expected = { all: ["al", "cy"], dev: ["al"], sre: ["al", "bob"] };
    expect(membershipRows(ts.dbPath)).toEqual(expected);
    for (const [name, members] of Object.entries(expected))
      expect((await ts.api("GET", `/v1/groups/${name}`)).body.members).toEqual(members);
    expect((await ts.api("GET", "/v1/groups/ops")).status).toBe(404);
  });

  it("the delta of two member lists names exactly who joined and who left", () => {
    expect(membershipDelta(["a", "c", "e"], ["b", "c", "f", "g"])).toEqual({
      added: ["b", "f", "g"],
      dropped: ["a", "e"],
    });
    expect(membershipDelta([], ["a"])).toEqual({ added: ["a"], dropped: [] });
    expect(membershipDelta(["a"], [])).toEqual({ added: [], dropped: ["a"] });
    // Out of order (never expected from the rule engine) still gives the right answer.
    expect(membershipDelta(["c", "a"], ["b", "a"])).toEqual({ added: ["b"], dropped: ["c"] });
  });
});

describe("a user's groups", () => {
  it("lists exactly the user's own groups, sorted, and follows every change", async () => {
    const ts = await start();
    for (const name of ["zeta", "alpha", "mid", "none"])
      expectStatus(await ts.api("POST", "/v1/groups", { name, description: name }), 201);
    // Logins that sort around each other (al, ala, alb), so a near miss shows.
    await createUser(ts, "ala", { groups: ["zeta", "alpha"] });
    await createUser(ts, "al", { groups: ["mid"] });
    await createUser(ts, "alb", { groups: ["none"] });
    expectStatus(await ts.api("PUT", "/v1/groups/mid/members/ala"), 200);

    const listed = async () =>
      Object.fromEntries(
        ((await ts.api("GET", "/v1/users?limit=1000")).body.items as UserBody[]).map((u) => [
          u.login,
          u.groups,
        ]),
      );
    expect((await userOf(ts, "ala")).groups).toEqual(["alpha", "mid", "zeta"]);
    expect((await userOf(ts, "al")).groups).toEqual(["mid"]);
    expect((await userOf(ts, "admin")).groups).toEqual([]);
    expect(await listed()).toEqual({ admin: [], al: ["mid"], ala: ["alpha", "mid", "zeta"], alb: ["none"] });

    // A page read after a change shows the change (nothing stale is kept between pages).
    expectStatus(await ts.api("DELETE", "/v1/groups/zeta/members/ala"), 200);
    expectStatus(await ts.api("POST", "/v1/groups/none/rename", { name: "some" }), 200);
    expect(await listed()).toEqual({ admin: [], al: ["mid"], ala: ["alpha", "mid"], alb: ["some"] });
    const patched = await ts.api<UserBody>("PATCH", "/v1/users/alb", { first_name: "Alba" });
    expect(patched.body.groups).toEqual(["some"]);
    // Each item of a page is the user exactly as its own read shows it, after every change.
    const page = (await ts.api("GET", "/v1/users?limit=2")).body as {
      items: UserBody[];
      next_cursor: string;
    };
    const rest = (await ts.api("GET", `/v1/users?cursor=${encodeURIComponent(page.next_cursor)}`)).body as {
      items: UserBody[];
      next_cursor: string | null;
    };
    expect(rest.next_cursor).toBeNull();
    const items = [...page.items, ...rest.items];
    expect(items.map((u) => u.login)).toEqual(["admin", "al", "ala", "alb"]);
    for (const item of items) expect(item).toEqual(await userOf(ts, item.login));
    expect(items[3]).toMatchObject({ first_name: "Alba", groups: ["some"] });
  });
});

describe("request validators", () => {
  it("are not built until a request with a body needs one", () => {
    const dir = mkdtempSync(join(tmpdir(), "orgctl-validators-"));
    dirs.push(dir);
    // A description that does not exist: reads never open it, the first body does.
    const validators = new RequestValidators(join(dir, "missing.yaml"));
    expect(validators.forOperation("GET", "/v1/users")).toBeNull();
    expect(validators.forOperation("GET", "/v1/users/{login}")).toBeNull();
    expect(() => validators.forOperation("POST", "/v1/users")).toThrow(/ENOENT/);
  });

  it("validate bodies as the API description says, per operation", () => {
    const validators = new RequestValidators();
    const create = validators.forOperation("POST", "/v1/users")!;
    expect(create({ login: "x" })).toBe(false);
    expect(validators.forOperation("POST", "/v1/users")).toBe(create);
    expect(validators.forOperation("DELETE", "/v1/users/{login}")).toBeNull();
    const patch = validators.forOperation("PATCH", "/v1/users/{login}")!;
    expect(patch({ first_name: "A" })).toBe(true);
    expect(patch({ nope: 1 })).toBe(false);
  });
});

describe("pages of users read again", () => {
  it("answer exactly as a first read after each kind of change, and the same when nothing changed", async () => {
    const ts = await start();
    expectStatus(await ts.api("POST", "/v1/groups", { name: "ops", description: "ops" }), 201);
    for (const login of ["al", "bo", "cy", "dee"]) await createUser(ts, login);
    const pages = async () =>
      Promise.all(
        ["?limit=2", "?limit=2&offset=2", "?limit=3&offset=1", "?limit=100"].map(
          async (query) => (await ts.api("GET", `/v1/users${query}`)).body,
        ),
      );
    type Page = {
      items: { login: string; first_name: string; groups: string[] }[];
      next_cursor: string | null;
    };
    const logins = (body: Page) => body.items.map((u) => u.login);
    const find = (body: Page, login: string) => body.items.find((u) => u.login === login)!;
    const first = (await pages()) as Page[];
    expect(await pages()).toEqual(first);
    expect(logins(first[3]!)).toEqual(["admin", "al", "bo", "cy", "dee"]);
    expect(logins(first[1]!)).toEqual(["bo", "cy"]);

    expectStatus(await ts.api("PATCH", "/v1/users/bo", { first_name: "Bob" }), 200);
    let now = (await pages()) as Page[];
    expect(find(now[1]!, "bo").first_name).toBe("Bob");
    expect(find(now[2]!, "bo").first_name).toBe("Bob");
    expect(find(now[3]!, "bo").first_name).toBe("Bob");
    expect(now[0]).toEqual(first[0]);

    expectStatus(await ts.api("PUT", "/v1/groups/ops/members/cy"), 200);
    now = (await pages()) as Page[];
    for (const page of [now[1]!, now[2]!, now[3]!]) expect(find(page, "cy").groups).toEqual(["ops"]);

    await createUser(ts, "ann");
    now = (await pages()) as Page[];
    expect(logins(now[1]!)).toEqual(["ann", "bo"]);
    expect(logins(now[3]!)).toEqual(["admin", "al", "ann", "bo", "cy", "dee"]);
    expect(now[1]!.next_cursor).not.toBeNull();
    expect(now[3]!.next_cursor).toBeNull();
  });
});
