/**
 * PUT /v1/org/plan over a real socket (in-process console on 127.0.0.1, temporary SQLite): the org plan's
 * prorated price, its ledger and audit entries, its refusals as JSON errors, its bounded body, its renewal, and
 * the migration that gives an existing database the org plan's period and fees.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startConsole } from "../../src/console/server.js";
import { DEFAULT_BOOTSTRAP } from "../../src/console/service.js";
import { callApi, startTestConsole, type TestConsole } from "../support/console.js";
import { actor, createUser, expectError, expectStatus } from "./helpers.js";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** The org is created on 2026-03-01, so its period ends 2027-03-01; on 2026-11-21 100 days are left. */
async function consoleAt(
  clock: { now: Date },
  options: Parameters<typeof startTestConsole>[0] = {},
): Promise<TestConsole> {
  const ts = await startTestConsole({ now: () => clock.now, ...options });
  cleanup.push(() => ts.close());
  return ts;
}

const ledgerOf = async (ts: TestConsole) =>
  (await ts.api("GET", "/v1/wallet/ledger")).body.items as {
    amount_cents: number;
    reason: string;
    login: string | null;
    plan: string | null;
    memo: string;
    idempotency_key: string | null;
  }[];

describe("PUT /v1/org/plan", () => {
  it("an upgrade charges ceil((new - old) * days_left / 365), keeps the period, and applies the limits at once", async () => {
    const clock = { now: new Date("2026-03-01T12:00:00Z") };
    const ts = await consoleAt(clock, { orgPlan: "pro" });
    const before = (await ts.api("GET", "/v1/org")).body;
    expect(before).toMatchObject({
      plan: "pro",
      period_start: "2026-03-01",
      period_end: "2027-03-01",
      billing: "ok",
      limits: { paid_seats: 190, free_seats: 10, custom_domains: 3 },
    });
    const balance = (await ts.api("GET", "/v1/wallet")).body.balance_cents as number;
    clock.now = new Date("2026-11-21T08:00:00Z"); // 100 days left
    const res = await ts.api(
      "PUT",
      "/v1/org/plan",
      { plan: "ultra" },
      { headers: { "idempotency-key": "up-1" } },
    );
    expectStatus(res, 200);
    expect(res.body).toMatchObject({
      plan: "ultra",
      period_start: "2026-03-01",
      period_end: "2027-03-01",
      limits: { paid_seats: 990, free_seats: 10, custom_domains: 10 },
      revision: before.revision + 1,
    });
    // 36000 * 100 / 365 = 9863.01 → 9864 charged.
    expect((await ts.api("GET", "/v1/wallet")).body.balance_cents).toBe(balance - 9864);
    expect((await ledgerOf(ts)).at(-1)).toMatchObject({
      amount_cents: -9864,
      reason: "org_plan_change",
      login: null,
      plan: "ultra",
      memo: "organization: pro → ultra",
      idempotency_key: "up-1",
    });
    const audit = (await ts.api("GET", "/v1/audit?action=change_org_plan")).body.items;
    expect(audit).toEqual([
      expect.objectContaining({ action: "change_org_plan", target: "org", fields: ["/plan"], outcome: "ok" }),
    ]);
    // The same key replays the answer: nothing is charged twice.
    const again = await ts.api(
      "PUT",
      "/v1/org/plan",
      { plan: "ultra" },
      { headers: { "idempotency-key": "up-1" } },
    );
    expectStatus(again, 200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await ts.api("GET", "/v1/wallet")).body.balance_cents).toBe(balance - 9864);
  });

  it("a downgrade refunds floor((old - new) * days_left / 365)", async () => {
    const clock = { now: new Date("2026-03-01T12:00:00Z") };
    const ts = await consoleAt(clock, { orgPlan: "ultra" });
    const balance = (await ts.api("GET", "/v1/wallet")).body.balance_cents as number;
    clock.now = new Date("2026-11-21T08:00:00Z");
    expectStatus(await ts.api("PUT", "/v1/org/plan", { plan: "entry" }), 200);
    // 48000 * 100 / 365 = 13150.68 → 13150 refunded.
    expect((await ts.api("GET", "/v1/wallet")).body.balance_cents).toBe(balance + 13150);
    expect((await ledgerOf(ts)).at(-1)).toMatchObject({ amount_cents: 13150, reason: "org_plan_change" });
  });

  it("a downgrade that does not fit is 422 org_plan_limit naming each overflow, audited as refused", async () => {
    const clock = { now: new Date("2026-03-01T12:00:00Z") };
    const ts = await consoleAt(clock, { orgPlan: "pro", verifier: "auto" });
    for (const login of ["p1", "p2"]) await createUser(ts, login, { plan: "entry" });
    for (const login of ["f1", "f2", "f3"]) await createUser(ts, login);
    expectStatus(await ts.api("POST", "/v1/domains", { name: "a.example" }), 201);
    expectStatus(await ts.api("POST", "/v1/domains", { name: "b.example" }), 201);
    const before = (await ts.api("GET", "/v1/org")).body;
    const res = await ts.api("PUT", "/v1/org/plan", { plan: "entry" });
    expectError(res, 422, "org_plan_limit");
    // The owner (pro) and p1, p2 are 3 paid seats.
    expect(res.body.error.message).toBe(
      "the organization does not fit the entry org plan: 3 paid seats used, entry allows 2; 3 free seats used, entry allows 2; 2 custom domains used, entry allows 1; remove users or domains first, or keep a larger org plan",
    );
    expect(res.body.error.details.overflows).toEqual([
      { limit: "paid_seats", used: 3, allowed: 2 },
      { limit: "free_seats", used: 3, allowed: 2 },
      { limit: "custom_domains", used: 2, allowed: 1 },
    ]);
    const after = (await ts.api("GET", "/v1/org")).body;
    expect(after.plan).toBe("pro");
    expect(after.revision).toBe(before.revision);
    const audit = (await ts.api("GET", "/v1/audit?action=change_org_plan")).body.items;
    expect(audit).toEqual([
      expect.objectContaining({ target: "org", outcome: "refused", code: "org_plan_limit" }),
    ]);
  });

  it("an upgrade the wallet cannot pay is 402 insufficient_funds and changes nothing", async () => {
    const clock = { now: new Date("2026-03-01T12:00:00Z") };
    // The owner on free: the wallet keeps exactly its 100 cents.
    const ts = await consoleAt(clock, { orgPlan: "entry", ownerPlan: "free", balanceCents: 100 });
    const res = await ts.api("PUT", "/v1/org/plan", { plan: "pro" });
    expectError(res, 402, "insufficient_funds");
    expect(res.body.error.details).toEqual({ charge_cents: 12000, balance_cents: 100, short_cents: 11900 });
    expect((await ts.api("GET", "/v1/org")).body.plan).toBe("entry");
    expect((await ts.api("GET", "/v1/wallet")).body.balance_cents).toBe(100);
  });

  it("only an org_admin may: billing_admin, user_admin and member get 403 forbidden", async () => {
    const ts = await consoleAt({ now: new Date("2026-03-01T12:00:00Z") }, { orgPlan: "pro" });
    for (const role of ["billing_admin", "user_admin", "member"] as const) {
      const token = await actor(ts, `act-${role.replace("_", "-")}`, role);
      expectError(await ts.api("PUT", "/v1/org/plan", { plan: "ultra" }, { token }), 403, "forbidden");
    }
    const admin = await actor(ts, "act-oa", "org_admin");
    expectStatus(await ts.api("PUT", "/v1/org/plan", { plan: "ultra" }, { token: admin }), 200);
  });

  it("bad bodies are JSON errors: unknown plan, extra fields, wrong types, not JSON, too large", async () => {
    const ts = await consoleAt(
      { now: new Date("2026-03-01T12:00:00Z") },
      { orgPlan: "pro", bodyLimit: 1024 },
    );
    const unknown = await ts.api("PUT", "/v1/org/plan", { plan: "gold" });
    expectError(unknown, 400, "invalid");
    expect(unknown.body.error.message).toBe(
      "org plan gold is not in the catalog; choose one of entry, pro, ultra",
    );
    expectError(await ts.api("PUT", "/v1/org/plan", { plan: "pro" }), 409, "conflict");
    expect((await ts.api("PUT", "/v1/org/plan", { plan: "ultra", name: "x" })).status).toBe(400);
    expect((await ts.api("PUT", "/v1/org/plan", { plan: 7 })).status).toBe(400);
    expect((await ts.api("PUT", "/v1/org/plan", {})).status).toBe(400);
    const notJson = await fetch(`${ts.url}/v1/org/plan`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${(await import("../support/console.js")).OWNER_TOKEN}`,
        "content-type": "application/json",
      },
      body: "{plan: ultra",
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toEqual(expect.any(String));
    const big = await ts.api("PUT", "/v1/org/plan", { plan: "ultra", pad: "x".repeat(4096) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toEqual(expect.any(String));
    expect((await ts.api("GET", "/v1/org")).body.plan).toBe("pro");
  });

  it("the org fee renews like a user plan: charged on the first request after its period ends, and forecast before", async () => {
    const clock = { now: new Date("2026-03-01T12:00:00Z") };
    const ts = await consoleAt(clock, { orgPlan: "pro", ownerPlan: "free" });
    clock.now = new Date("2027-02-20T12:00:00Z");
    const wallet = (await ts.api("GET", "/v1/wallet?days=30")).body;
    expect(wallet.renewals_due).toEqual([
      { login: null, plan: "pro", due: "2027-03-01", amount_cents: 12000, unpaid: false },
    ]);
    clock.now = new Date("2027-03-01T09:00:00Z");
    const org = (await ts.api("GET", "/v1/org")).body;
    expect(org).toMatchObject({ period_start: "2027-03-01", period_end: "2028-02-29", billing: "ok" });
    expect((await ts.api("GET", "/v1/wallet")).body.balance_cents).toBe(wallet.balance_cents - 12000);
    expect((await ledgerOf(ts)).at(-1)).toMatchObject({
      amount_cents: -12000,
      reason: "renewal",
      login: null,
      plan: "pro",
      memo: "organization on the pro org plan from 2027-03-01",
    });
  });
});

describe("migrating a database made before org plans had a fee and a period", () => {
  it("gives the org a period from its creation and the catalog's org plans their default fees", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orgctl-orgplan-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "console.db");
    copyFileSync(join(import.meta.dirname, "..", "fixtures", "console-schema-v1.sqlite"), path);
    const running = await startConsole({
      dbPath: path,
      host: "127.0.0.1",
      port: 0,
      clock: () => new Date("2026-03-02T12:00:00Z"),
      bootstrap: { ...DEFAULT_BOOTSTRAP, verifier: "auto" },
    });
    cleanup.push(() => running.close());
    const token = "oct_v1-owner-token-for-migration-test-0001";
    const org = await callApi(running.url, "GET", "/v1/org", undefined, token);
    expect(org.body).toMatchObject({
      plan: "pro",
      period_start: "2026-03-01",
      period_end: "2027-03-01",
      billing: "ok",
    });
    const catalog = await callApi(running.url, "GET", "/v1/catalog", undefined, token);
    expect(
      catalog.body.org_plans.map((p: { name: string; price_cents: number }) => [p.name, p.price_cents]),
    ).toEqual([
      ["entry", 0],
      ["pro", 12000],
      ["ultra", 48000],
    ]);
    expect(running.service.store.schemaVersion()).toBeGreaterThanOrEqual(5);
    expect(running.service.store.checkConsistency()).toEqual([]);
  });
});
