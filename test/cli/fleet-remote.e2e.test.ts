import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";

/*
 * A fleet against a real console over HTTP (in-process, 127.0.0.1, ephemeral port, temp SQLite): one
 * partner token reaches each organization at /v1/orgs/{slug}/...; an organization the token may not act in
 * fails alone (issue 12).
 */

const E2E = { timeout: 240_000 };

let console_: TestConsole;
let dir: string;
let orgs: string;

function clientYaml(slug: string, extraUser: boolean): string {
  return `version: 1
organization:
  name: Client ${slug}
  slug: ${slug}
  plan: pro
groups:
  - name: staff
users:
  - login: owner
    owner: true
    first_name: Own
    last_name: Er
    email: ${slug}.owner@console.test
    plan: pro
    role: org_admin
  - login: ana
    first_name: Ana
    last_name: Lyst
    email: ${slug}.ana@console.test
    plan: entry
    groups: [staff]
${
  extraUser
    ? `  - login: ben
    first_name: Ben
    last_name: Ch
    email: ${slug}.ben@console.test
    plan: entry
`
    : ""
}`;
}

beforeAll(async () => {
  console_ = await startTestConsole({ partnerOrg: true });
  dir = mkdtempSync(join(tmpdir(), "orgctl-fleet-remote-"));
  orgs = join(dir, "orgs");
  mkdirSync(orgs);
  for (const slug of ["acme", "beta", "gamma"]) {
    const created = await console_.api("POST", "/v1/orgs", {
      slug,
      name: `Client ${slug}`,
      plan: "pro",
      owner: { login: "owner", first_name: "Own", last_name: "Er", email: `${slug}.owner@console.test` },
    });
    expect(created.status).toBe(201);
    const topUp = await console_.api("POST", `/v1/orgs/${slug}/wallet/top-ups`, {
      amount_cents: 100_000,
      method: "test",
    });
    expect(topUp.status).toBe(201);
    writeFileSync(join(orgs, `${slug}.yaml`), clientYaml(slug, false));
  }
  // An organization this console does not have: its error is its own.
  writeFileSync(join(orgs, "ghost.yaml"), clientYaml("ghost", false));
});

afterAll(async () => {
  await console_?.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]) {
  return runCli([...args, "--endpoint", console_.url], {
    cwd: dir,
    env: { ORGCTL_TOKEN: OWNER_TOKEN, CI: "true" },
  });
}

describe("a fleet against a console over HTTP, one partner token", E2E, () => {
  it("plans and applies each organization at /v1/orgs/{slug}; the one it may not act in fails alone", async () => {
    const plan = await run(["plan", "-f", orgs, "--format", "json", "--detailed-exitcode"]);
    expect(plan.code).toBe(1);
    const planned = JSON.parse(plan.stdout);
    const bySlug = Object.fromEntries(planned.orgs.map((o: { org: string }) => [o.org, o]));
    expect(Object.keys(bySlug)).toEqual(["acme", "beta", "gamma", "ghost"]);
    expect(bySlug.ghost.status).toBe("error");
    expect(bySlug.ghost.errors[0].message).toContain("ghost");
    for (const slug of ["acme", "beta", "gamma"]) {
      expect(bySlug[slug].status).toBe("changes");
      expect(bySlug[slug].target).toBe(`${console_.url} org ${slug}`);
      expect(bySlug[slug].counts.create).toBe(2); // the group and ana
      expect(bySlug[slug].plan.console.org).toBe(`Client ${slug}`);
    }

    const apply = await run(["apply", "-f", orgs, "--auto-approve", "--parallelism", "2"]);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toMatch(/^ {2}ghost +error/m);
    expect(apply.stdout).toMatch(/^Fleet: 4 organizations \(1 error, 3 applied\)/m);
    expect(hasStackTrace(apply.stderr)).toBe(false);

    // Each organization got its own users, nothing leaked into the partner's own organization.
    for (const slug of ["acme", "beta", "gamma"]) {
      const users = await console_.api("GET", `/v1/orgs/${slug}/users`);
      expect(users.body.items.map((u: { login: string }) => u.login).sort()).toEqual(["ana", "owner"]);
    }
    const own = await console_.api("GET", "/v1/users");
    expect(own.body.items.map((u: { login: string }) => u.login)).toEqual(["admin"]);

    // Without the ghost: in sync (0 with --detailed-exitcode); then one change in one org is drift (2).
    const known = ["acme", "beta", "gamma"].flatMap((slug) => ["-f", join(orgs, `${slug}.yaml`)]);
    const again = await run(["plan", ...known, "--detailed-exitcode"]);
    expect(again.stdout).toMatch(/^Fleet: 3 organizations \(3 in sync\)/m);
    expect(again.code).toBe(0);
    writeFileSync(join(orgs, "beta.yaml"), clientYaml("beta", true));
    const drift = await run(["drift", ...known, "--format", "markdown"]);
    expect(drift.code).toBe(2);
    expect(drift.stdout.startsWith("<!-- orgctl-fleet -->")).toBe(true);
    // Worst first: beta (the one that differs) is the table's first row.
    expect(drift.stdout.split("\n").find((l) => l.startsWith("| ") && l.includes("`"))).toContain("`beta`");

    // A change made in the console outside org.yaml is drift, and drift names who made it, per organization.
    const edited = await console_.api("PATCH", "/v1/orgs/gamma/users/ana", { first_name: "Anna" });
    expect(edited.status).toBe(200);
    const attributed = await run(["drift", ...known, "--format", "json"]);
    expect(attributed.code).toBe(2);
    const gamma = JSON.parse(attributed.stdout).orgs.find((o: { org: string }) => o.org === "gamma");
    const step = gamma.plan.steps.find((s: { id: string }) => s.id === "user/ana:update_user");
    expect(step.attribution).toEqual({
      by: "example-org/admin",
      via: 'api token "bootstrap"',
      at: "2026-03-01T12:00:00.000Z",
      action: "update_user",
    });

    // One file with its slug is that organization, as in the fleet.
    const single = await run(["plan", "-f", join(orgs, "beta.yaml"), "--detailed-exitcode"]);
    expect(single.code).toBe(2);
    expect(single.stdout).toContain(`org beta`);
  });
});
