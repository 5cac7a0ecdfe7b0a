import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasStackTrace, REPO_ROOT, runCli } from "../support/cli.js";

/*
 * `orgctl plan|apply|drift -f DIR` over the built CLI and the real console (the embedded sandbox): each org
 * file against its own organization, one org's failure never stopping the others, one report, aggregated
 * exit codes (issue 12).
 */

const E2E = { timeout: 240_000 };
const NOW = "2026-03-01T12:00:00Z";
const SECRET = "Fl33t-secret-never-printed-5e1a";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `orgctl-fleet-${tag}-`));
  dirs.push(dir);
  return dir;
}

/** A small client organization: its owner and one paid user whose password comes from `passwordEnv`. */
function clientYaml(slug: string, passwordEnv: string): string {
  return `version: 1
organization:
  name: Client ${slug}
  slug: ${slug}
  plan: pro
users:
  - login: owner
    owner: true
    first_name: Own
    last_name: Er
    email: ${slug}.owner@console.test
    plan: pro
    role: org_admin
  - login: staff
    first_name: Sta
    last_name: Ff
    email: ${slug}.staff@console.test
    plan: entry
    password: { env: ${passwordEnv} }
`;
}

/** Outside CI unless a test says otherwise: most of these use the sandbox next to the files, as a laptop does. */
function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  return runCli(args, { cwd, env: { CI: "false", ORGCTL_NOW: NOW, FLEET_PW: SECRET, ...env } });
}

describe("a fleet over the sandbox console", E2E, () => {
  it("examples/agency-fleet: plan plans every org, apply applies them, then plan --detailed-exitcode is 0 (CI=true, --sandbox)", async () => {
    const dir = tempDir("example");
    cpSync(join(REPO_ROOT, "examples", "agency-fleet"), join(dir, "agency-fleet"), { recursive: true });
    const fleet = join(dir, "agency-fleet");
    const sandbox = ["--sandbox", join(dir, "sandbox.db")];
    const ci = { CI: "true" };

    const refused = await run(["plan", "-f", fleet], dir, ci);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("no_console");

    const plan = await run(["plan", "-f", fleet, ...sandbox, "--format", "json"], dir, ci);
    expect(plan.stderr).not.toMatch(/bug/);
    expect(plan.code).toBe(0);
    const planned = JSON.parse(plan.stdout);
    expect(planned.orgs.map((o: { org: string }) => o.org)).toEqual([
      "harbor-dental",
      "lindqvist-law",
      "northwind",
      "sunrise-yoga",
    ]);
    for (const org of planned.orgs) {
      expect(org.status).toBe("changes");
      expect(org.counts.create).toBeGreaterThan(0);
    }
    expect(planned.totals.orgs).toBe(4);

    const apply = await run(["apply", "-f", fleet, ...sandbox, "--auto-approve"], dir, ci);
    expect(apply.code).toBe(0);
    for (const slug of ["harbor-dental", "lindqvist-law", "northwind", "sunrise-yoga"]) {
      expect(apply.stdout).toMatch(new RegExp(`^  ${slug} +applied`, "m"));
      expect(apply.stdout).toMatch(new RegExp(`^\\[${slug}\\] \\[ ?1/\\d+\\] done`, "m"));
    }
    expect(apply.stdout).toMatch(/^Fleet: 4 organizations \(4 applied\)/m);

    const again = await run(["plan", "-f", fleet, ...sandbox, "--detailed-exitcode"], dir, ci);
    expect(again.stdout).toMatch(/^Fleet: 4 organizations \(4 in sync\)/m);
    expect(again.code).toBe(0);
    const drift = await run(["drift", "-f", fleet, ...sandbox], dir, ci);
    expect(drift.code).toBe(0);
  });

  it("one org failing: the others are planned and applied, its error is shown under its slug, exit 1", async () => {
    const dir = tempDir("failing");
    const orgs = join(dir, "orgs");
    cpSync(join(REPO_ROOT, "examples", "agency-fleet"), orgs, { recursive: true });
    writeFileSync(join(orgs, "alpha.yaml"), clientYaml("alpha", "FLEET_PW"));
    // Its password variable is not set: a plan error at the password: line, for this organization alone.
    writeFileSync(join(orgs, "beta.yaml"), clientYaml("beta", "FLEET_PW_MISSING"));
    writeFileSync(join(orgs, "notes.yaml"), "# not an org file\nowners: [someone]\n");

    const plan = await run(["plan", "-f", orgs, "--detailed-exitcode"], dir);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toMatch(/^ {2}beta +error +.*beta\.yaml:\d+:\d+ secret_missing/m);
    expect(plan.stdout).toMatch(/^ {2}alpha +changes/m);
    expect(plan.stdout).toMatch(/^Fleet: 6 organizations \(1 error, 5 changes\)/m);
    // Worst first: the failing org's row comes before every other.
    const table = plan.stdout.slice(plan.stdout.indexOf("Plan by organization:"));
    expect(table.split("\n")[1]).toMatch(/^ {2}beta /);

    const apply = await run(["apply", "-f", orgs, "--auto-approve", "--parallelism", "3"], dir);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toMatch(/^ {2}beta +error/m);
    expect(apply.stdout).toMatch(/^Fleet: 6 organizations \(1 error, 5 applied\)/m);

    // Everyone but beta is done: a fleet of the others is in sync; beta still has its changes.
    const others = readdirSync(orgs)
      .filter((f) => f.endsWith(".yaml") && f !== "beta.yaml" && f !== "notes.yaml")
      .flatMap((f) => ["-f", join(orgs, f)]);
    const rest = await run(["plan", ...others, "--detailed-exitcode"], dir);
    expect(rest.stdout).toMatch(/^Fleet: 5 organizations \(5 in sync\)/m);
    expect(rest.code).toBe(0);

    const drift = await run(["drift", "-f", orgs, "--format", "json"], dir);
    expect(drift.code).toBe(2);
    const report = JSON.parse(drift.stdout);
    const statuses = Object.fromEntries(
      report.orgs.map((o: { org: string; status: string }) => [o.org, o.status]),
    );
    expect(statuses).toEqual({
      alpha: "in_sync",
      beta: "drift",
      "harbor-dental": "in_sync",
      "lindqvist-law": "in_sync",
      northwind: "in_sync",
      "sunrise-yoga": "in_sync",
    });

    for (const out of [plan, apply, drift]) {
      expect(`${out.stdout}${out.stderr}`).not.toContain(SECRET);
      expect(hasStackTrace(out.stderr)).toBe(false);
    }
  });

  it("--shard i/n splits the fleet: the shards together are the fleet, each org in one, the same every run", async () => {
    const dir = tempDir("shard");
    const orgs = join(dir, "orgs");
    cpSync(join(REPO_ROOT, "examples", "agency-fleet"), orgs, { recursive: true });
    for (const slug of ["c1", "c2", "c3", "c4"])
      writeFileSync(join(orgs, `${slug}.yaml`), clientYaml(slug, "FLEET_PW"));
    const seen: string[][] = [];
    for (const shard of ["1/3", "2/3", "3/3"]) {
      const out = await run(["plan", "-f", orgs, "--shard", shard, "--format", "json"], dir);
      expect(out.code).toBe(0);
      const parsed = JSON.parse(out.stdout);
      expect(parsed.shard).toMatchObject({ count: 3, fleet_orgs: 8 });
      seen.push(parsed.orgs.map((o: { org: string }) => o.org));
    }
    expect(seen.flat().sort()).toEqual(
      ["c1", "c2", "c3", "c4", "harbor-dental", "lindqvist-law", "northwind", "sunrise-yoga"].sort(),
    );
    const again = await run(["plan", "-f", orgs, "--shard", "2/3", "--format", "json"], dir);
    expect(JSON.parse(again.stdout).orgs.map((o: { org: string }) => o.org)).toEqual(seen[1]);

    const bad = await run(["plan", "-f", orgs, "--shard", "4/3"], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("invalid_flag: --shard must be i/n with 1 ≤ i ≤ n");
    const single = await run(["plan", "-f", join(orgs, "c1.yaml"), "--shard", "1/2"], dir);
    expect(single.code).toBe(1);
    expect(single.stderr).toContain("--shard splits a fleet");
    const parallel = await run(["plan", "-f", orgs, "--parallelism", "0"], dir);
    expect(parallel.code).toBe(1);
    expect(parallel.stderr).toContain("--parallelism must be a whole number from 1 to 64 (got 0)");
  });

  it("a slug two files name stops the fleet before anything is read, at file:line:col", async () => {
    const dir = tempDir("dup");
    const orgs = join(dir, "orgs");
    cpSync(join(REPO_ROOT, "examples", "agency-fleet"), orgs, { recursive: true });
    writeFileSync(join(orgs, "zz-copy.yaml"), clientYaml("northwind", "FLEET_PW"));
    const out = await run(["apply", "-f", orgs, "--auto-approve"], dir);
    expect(out.code).toBe(1);
    const slugLine =
      readFileSync(join(orgs, "northwind.yaml"), "utf8").split("\n").indexOf("  slug: northwind") + 1;
    expect(slugLine).toBeGreaterThan(0);
    expect(out.stderr).toContain(
      `${join(orgs, "zz-copy.yaml")}:4:9 slug_duplicate: slug northwind is also named by ${join(orgs, "northwind.yaml")}:${slugLine}:9`,
    );
    expect(existsSync(join(orgs, ".orgctl"))).toBe(false);
    expect(hasStackTrace(out.stderr)).toBe(false);

    const noApprove = await run(["apply", "-f", join(REPO_ROOT, "examples", "agency-fleet")], dir);
    expect(noApprove.code).toBe(1);
    expect(noApprove.stderr).toContain("confirmation_required: apply over a fleet does not ask");
  });
});
