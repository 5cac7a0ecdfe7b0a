import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasStackTrace, runCli } from "../support/cli.js";
import { callApi, OWNER_TOKEN, spawnServe } from "../support/console.js";

/** `orgctl serve --partner-org SLUG` makes any organization of the database a partner, not only the first. */
describe("orgctl serve --partner-org SLUG", () => {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-serve-partner-"));
  const db = join(dir, "console.db");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("makes the named organization a partner, and refuses a slug the database does not have", async () => {
    // The first organization is the partner that creates client-a.
    const first = await spawnServe(db, {}, ["--partner-org"]);
    try {
      const created = await callApi(
        first.url,
        "POST",
        "/v1/orgs",
        {
          slug: "client-a",
          name: "Client A",
          plan: "pro",
          owner: { login: "boss", first_name: "Ann", last_name: "Boss", email: "boss-a@console.test" },
        },
        OWNER_TOKEN,
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    } finally {
      first.child.kill("SIGTERM");
      await first.exited;
    }
    const minted = await runCli(["owner-token", "--db", db, "--org", "client-a"]);
    expect(minted.code, minted.stderr).toBe(0);
    const boss = minted.stdout.trim();

    const unknown = await runCli(["serve", "--db", db, "--port", "0", "--partner-org", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown_org");
    expect(unknown.stderr).toContain("(it has client-a, example-org)");
    expect(hasStackTrace(unknown.stderr)).toBe(false);
    expect(readFileSync(db).length).toBeGreaterThan(0);

    const second = await spawnServe(db, {}, ["--partner-org", "client-a"]);
    try {
      // client-a's owner may now create an organization of its own, which client-a manages.
      const made = await callApi(
        second.url,
        "POST",
        "/v1/orgs",
        {
          slug: "client-a-sub",
          name: "Sub of A",
          plan: "pro",
          owner: { login: "sub", first_name: "Sue", last_name: "Bee", email: "sub@console.test" },
        },
        boss,
      );
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const listed = await callApi(second.url, "GET", "/v1/orgs", undefined, boss);
      expect(listed.body.items).toEqual([
        { slug: "client-a", name: "Client A", plan: "pro", managed_by: "example-org", partner: true },
        { slug: "client-a-sub", name: "Sub of A", plan: "pro", managed_by: "client-a", partner: false },
      ]);
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });
});
