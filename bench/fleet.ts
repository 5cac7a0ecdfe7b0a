/**
 * A fleet (issue 12): `orgctl plan -f DIR` and `orgctl apply -f DIR` over 200 organizations of 25 users each
 * (`BENCH_FLEET_ORGS`, `BENCH_FLEET_USERS`) against one `orgctl serve` console, with one partner token, every
 * organization at `/v1/orgs/{slug}/...`. The figure set beside it: one organization of 25 users planned and
 * applied on its own (`-f ONE_FILE`, a fresh organization each run, median of BENCH_FLEET_SINGLE_RUNS), times
 * the number of organizations: what running orgctl once per organization would take. Both on the same console
 * in the same run; the ratio is the fleet's wall time over that.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_FLEET_PARALLELISM } from "../src/cli/fleet/command.js";
import { serve, TOKEN } from "./console-fixture.js";
import { generateOrg, orgDocument } from "./generate.js";
import { round, type Section } from "./report.js";

const ORGS = Number(process.env.BENCH_FLEET_ORGS ?? 200);
const USERS = Number(process.env.BENCH_FLEET_USERS ?? 25);
const SINGLE_RUNS = Math.max(3, Number(process.env.BENCH_FLEET_SINGLE_RUNS ?? 5));

/** One set-up request, sent again when the connection drops (a keep-alive socket the server closed). */
async function call(url: string, method: string, path: string, body?: unknown, key?: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          "content-type": "application/json",
          ...(key ? { "idempotency-key": key } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      if (attempt < 5) continue;
      throw error;
    }
    // A create sent again after a lost answer finds its organization there.
    if (res.ok || (attempt > 1 && res.status === 409)) return;
    throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  }
}

/** Creates organization `slug` managed by the partner, with money for its users, and writes its org file. */
async function addOrg(url: string, dir: string, slug: string): Promise<string> {
  const owner = { login: "owner", email: `${slug}.owner@console.test` };
  await call(url, "POST", "/v1/orgs", {
    slug,
    name: `Client ${slug}`,
    plan: "bench",
    owner: { login: owner.login, first_name: "Org", last_name: "Owner", email: owner.email },
  });
  await call(
    url,
    "POST",
    `/v1/orgs/${slug}/wallet/top-ups`,
    { amount_cents: 1_000_000, method: "test" },
    `bench-top-up-${slug}`,
  );
  const generated = generateOrg(USERS, `${slug}.u`);
  const doc = orgDocument(generated, owner, "bench") as { organization: Record<string, unknown> };
  doc.organization = { name: `Client ${slug}`, slug, plan: "bench" };
  const file = join(dir, `${slug}.yaml`);
  // JSON is YAML: org files as JSON keep this bench free of a YAML writer's choices.
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

function timed(cli: string, args: string[]): number {
  const started = performance.now();
  try {
    execFileSync(process.execPath, [cli, ...args], {
      env: { ...process.env, ORGCTL_TOKEN: TOKEN, CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    const tail = `${stdout?.toString("utf8").slice(-3000) ?? ""}${stderr?.toString("utf8").slice(-2000) ?? ""}`;
    throw new Error(`orgctl ${args.join(" ")} failed:\n${tail}`);
  }
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function fleetSection(cli: string): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-bench-fleet-"));
  const server = await serve(cli, dir, ["--partner-org"]);
  try {
    const fleet = join(dir, "fleet");
    const singles = join(dir, "singles");
    mkdirSync(fleet);
    mkdirSync(singles);
    const slugs = Array.from({ length: ORGS }, (_, i) => `client-${String(i).padStart(4, "0")}`);
    for (let i = 0; i < slugs.length; i += 8) {
      await Promise.all(slugs.slice(i, i + 8).map((slug) => addOrg(server.url, fleet, slug)));
    }
    const endpoint = ["--endpoint", server.url];
    const planMs = timed(cli, ["plan", "-f", fleet, ...endpoint]);
    const applyMs = timed(cli, ["apply", "-f", fleet, ...endpoint, "--auto-approve"]);
    // The fleet converged: a second plan finds nothing to do (it exits 2 otherwise, and the bench stops).
    const replanMs = timed(cli, ["plan", "-f", fleet, ...endpoint, "--detailed-exitcode"]);

    const single: number[] = [];
    for (let run = 0; run < SINGLE_RUNS; run++) {
      const file = await addOrg(server.url, singles, `single-${run}`);
      single.push(
        timed(cli, ["plan", "-f", file, ...endpoint]) +
          timed(cli, ["apply", "-f", file, ...endpoint, "--auto-approve"]),
      );
    }
    const oneOrg = median(single);
    const fleetMs = planMs + applyMs;
    const ratio = round(fleetMs / (oneOrg * ORGS), 3);
    return {
      name: "fleet",
      data: {
        orgs: ORGS,
        users_per_org: USERS,
        parallelism: DEFAULT_FLEET_PARALLELISM,
        plan_ms: round(planMs),
        apply_ms: round(applyMs),
        replan_in_sync_ms: round(replanMs),
        single_org_plan_apply_ms: round(oneOrg),
        single_org_times_orgs_ms: round(oneOrg * ORGS),
        fleet_over_single_times_orgs: ratio,
      },
      targets: [],
      markdown: [
        `Fleet: ${ORGS} organizations × ${USERS} users against one \`orgctl serve\` (one partner token, ${DEFAULT_FLEET_PARALLELISM} organizations at a time): plan ${round(planMs / 1000, 1)} s, apply ${round(applyMs / 1000, 1)} s, plan again (in sync) ${round(replanMs / 1000, 1)} s. One organization of ${USERS} users planned and applied on its own: ${round(oneOrg)} ms (median of ${SINGLE_RUNS}), × ${ORGS} = ${round((oneOrg * ORGS) / 1000, 1)} s; the fleet's plan + apply take ${ratio}× that.`,
      ],
    };
  } finally {
    server.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}
