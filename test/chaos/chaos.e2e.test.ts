import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { FAULT_KINDS, type FaultSpec } from "../../src/console/faults.js";
import type { LedgerEntry } from "../../src/console/store.js";
import { type CliResult, ensureBuilt, hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";

/**
 * Chaos: randomized applies against a console that injects faults into one request in five (503, 429,
 * connection resets, latency, and commits whose answer is dropped).
 *
 * For each run a seeded generator builds a random live organization (set up through a fault-free console),
 * then a random org.yaml that moves it somewhere else: new, replaced, removed (deleted or disabled), enabled
 * and disabled users on free/entry/pro, role changes incl. a second org_admin, aliases on the provider domain
 * and on custom domains (some moving from one user to another), domains added and removed, groups and
 * memberships. The console is restarted on the same database with faults on and with its clock moved on,
 * so that refunds and plan changes are prorated. Then `plan` and `apply` run until the apply succeeds, and:
 *
 * - it converges within 3 applies, and `plan --detailed-exitcode` then exits 0;
 * - no idempotency key appears twice in the ledger; every new ledger entry belongs to one planned step of
 *   one apply and has the amount that plan predicted; a login is charged for its creation once;
 * - the wallet moved by exactly the sum of the `step_done` amounts (to the cent), each of which is the plan's
 *   prediction for that step; a fully successful apply moved it by the plan's predicted net money;
 * - the database stays consistent and the apply lock is released.
 *
 * ORGCTL_CHAOS_RUNS (default 12, a couple of minutes on 2 cores) sets the number of runs; the full proof is
 * ORGCTL_CHAOS_RUNS=200. Each run's seed is in its name and printed on failure; ORGCTL_CHAOS_SEED=N runs only
 * that seed, ORGCTL_CHAOS_BASE_SEED=N starts the seeds at N (ORGCTL_CHAOS_VERBOSE=1 prints every run's log).
 * A seed fixes the scenario and the console's sequence of faults; with requests in parallel, which request
 * draws which fault can still vary from one run to the next.
 */

const RUNS = Number(process.env.ORGCTL_CHAOS_RUNS ?? 12);
const BASE_SEED = Number(process.env.ORGCTL_CHAOS_BASE_SEED ?? 1);
const SEEDS = process.env.ORGCTL_CHAOS_SEED
  ? [Number(process.env.ORGCTL_CHAOS_SEED)]
  : Array.from({ length: RUNS }, (_, i) => BASE_SEED + i);

const MAX_APPLIES = 3;
const PROVIDER = "console.test";
const DOMAINS = ["chaos-a.example", "chaos-b.example", "chaos-c.example"];
const GROUPS = Array.from({ length: 12 }, (_, i) => `g${String(i + 1).padStart(2, "0")}`);
const ROLES = ["member", "member", "member", "org_admin", "user_admin", "billing_admin"] as const;
const PLANS = ["free", "entry", "pro"] as const;
const ALIAS_LIMIT: Record<string, number> = { free: 0, entry: 10, pro: 50 };
const MAX_FREE = 4;
const START_BALANCE = 5_000_000;
const SETUP_NOW = Date.parse("2026-03-01T12:00:00Z");
const PASSWORD = "Chaos-Pw-7f3e-never-printed-19ab";
/** A failure of the transport rather than a decision of the console: retrying is what a person would do. */
const TRANSIENT_CODES = new Set(["console_unreachable", "unavailable", "rate_limited"]);
const TRANSIENT = /\b(console_unreachable|unavailable|rate_limited)\b/;

type Role = (typeof ROLES)[number];
type PlanName = (typeof PLANS)[number];

// --- seeded randomness ------------------------------------------------------------------------------------

class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = (seed * 2654435761) >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  subset<T>(items: readonly T[], p: number): T[] {
    return items.filter(() => this.chance(p));
  }
}

// --- the scenario -----------------------------------------------------------------------------------------

interface LiveUser {
  login: string;
  email: string;
  first_name: string;
  last_name: string;
  plan: PlanName;
  role: Role;
  aliases: string[];
  groups: string[];
  password: boolean;
  disabled: boolean;
}

interface DesiredUser {
  login: string;
  first_name: string;
  last_name: string;
  email: string;
  plan: PlanName;
  role: Role;
  status: "active" | "disabled";
  owner?: boolean;
  aliases: string[];
  groups: string[];
  password?: { env: string; rotation?: string };
}

interface Scenario {
  seed: number;
  live: {
    domains: string[];
    groups: { name: string; description: string }[];
    users: LiveUser[];
    /** Created and deleted during set-up: their provider addresses are retired. */
    deleted: LiveUser[];
    adminGroups: string[];
  };
  desired: {
    orgName: string;
    removedUsers: "delete" | "disable";
    domains: string[];
    groups: { name: string; description: string }[];
    users: DesiredUser[];
  };
  /** How many days after set-up the chaos console's pinned clock stands. */
  daysLater: number;
  faults: FaultSpec;
  /**
   * The first apply runs without the password variable, as when an operator forgets to export it: the steps
   * that need it fail, what depends on them is skipped, the rest is done, and a later apply finishes.
   */
  forgetSecret: boolean;
  /** What this scenario exercises, for the failure log. */
  notes: string;
}

const domainOf = (address: string) => address.slice(address.lastIndexOf("@") + 1);
const isCustom = (address: string) => domainOf(address) !== PROVIDER;

function makeScenario(seed: number): Scenario {
  const rng = new Rng(seed);
  // --- live
  const liveDomains = rng.subset(DOMAINS, 0.5);
  const liveGroups = rng.subset(GROUPS, 0.4).map((name) => ({ name, description: `${name} team` }));
  const liveGroupNames = liveGroups.map((g) => g.name);
  let liveFree = 0;
  const liveUser = (login: string): LiveUser => {
    let plan = rng.pick(PLANS);
    if (plan === "free" && liveFree >= 3) plan = "entry";
    if (plan === "free") liveFree += 1;
    const domain = liveDomains.length > 0 && rng.chance(0.3) ? rng.pick(liveDomains) : PROVIDER;
    const aliases: string[] = [];
    if (plan !== "free") {
      for (let j = 0, n = rng.int(0, 3); j < n; j++) {
        const aliasDomain = liveDomains.length > 0 && rng.chance(0.5) ? rng.pick(liveDomains) : PROVIDER;
        aliases.push(`${login}.a${j}@${aliasDomain}`);
      }
    }
    return {
      login,
      email: `${login}@${domain}`,
      first_name: "Live",
      last_name: login.toUpperCase(),
      plan,
      role: rng.pick(ROLES),
      aliases,
      groups: rng.subset(liveGroupNames, 0.3).slice(0, 10),
      password: rng.chance(0.2),
      disabled: false,
    };
  };
  const users = Array.from({ length: rng.int(3, 14) }, (_, i) => liveUser(`u${i + 1}`));
  for (const user of users) user.disabled = rng.chance(0.25);
  const deleted = Array.from({ length: rng.int(0, 2) }, (_, i) => liveUser(`d${i + 1}`));
  const adminGroups = rng.subset(liveGroupNames, 0.3);

  // --- desired
  const removedUsers = rng.chance(0.5) ? "delete" : "disable";
  const chosenDomains = rng.subset(DOMAINS, 0.6);
  const desiredGroups = rng.subset(GROUPS, 0.6).map((name) => {
    const live = liveGroups.find((g) => g.name === name);
    const description = live && rng.chance(0.8) ? live.description : `${name} (${rng.int(1, 99)})`;
    return { name, description };
  });
  const groupNames = desiredGroups.map((g) => g.name);
  /** Custom-domain addresses given up by a live user in this plan: free to move to another user. */
  const freed: string[] = [];
  /** Users not in org.yaml whose addresses and seats stay (disabled, not deleted). */
  const staying: LiveUser[] = [];
  let desiredFree = 0;
  let fresh = 0;
  const newDomain = () => (chosenDomains.length > 0 && rng.chance(0.4) ? rng.pick(chosenDomains) : PROVIDER);
  const newAddress = (login: string) => {
    fresh += 1;
    return `${login}.n${fresh}@${newDomain()}`;
  };
  let moved = 0;
  const takeFreed = (): string | undefined => {
    if (freed.length === 0 || !rng.chance(0.5)) return undefined;
    moved += 1;
    return freed.splice(rng.int(0, freed.length - 1), 1)[0];
  };
  const choosePlan = (current: PlanName | null, permanentAliases: number): PlanName => {
    let plan = current && !rng.chance(0.3) ? current : rng.pick(PLANS);
    if (plan === "free" && (permanentAliases > 0 || desiredFree >= MAX_FREE))
      plan = rng.pick(["entry", "pro"]);
    if (plan === "free") desiredFree += 1;
    return plan;
  };
  const extraAliases = (login: string, plan: PlanName, have: number): string[] => {
    if (plan === "free") return [];
    const out: string[] = [];
    for (let n = rng.int(0, 2); n > 0 && have + out.length < Math.min(ALIAS_LIMIT[plan]!, 5); n--) {
      out.push(takeFreed() ?? newAddress(login));
    }
    return out;
  };

  const fates = users.map((user) => {
    const r = rng.next();
    return { user, fate: r < 0.2 ? "drop" : r < 0.3 ? "replace" : "keep" };
  });
  // Removals first, so that what they free can be given to others.
  for (const { user, fate } of fates) {
    if (fate === "drop") {
      if (removedUsers === "delete") freed.push(...[user.email, ...user.aliases].filter(isCustom));
      else staying.push(user);
    } else if (fate === "replace") {
      freed.push(...[user.email, ...user.aliases].filter(isCustom));
    }
  }
  for (const user of staying) if (user.plan === "free") desiredFree += 1;
  const desiredUsers: DesiredUser[] = [
    {
      login: "admin",
      first_name: "Org",
      last_name: "Owner",
      email: `admin@${PROVIDER}`,
      plan: "pro",
      role: "org_admin",
      status: "active",
      owner: true,
      aliases: [],
      groups: rng.subset(groupNames, 0.3),
    },
  ];
  const password = (had: boolean) => {
    if (!rng.chance(had ? 0.5 : 0.2)) return {};
    return { password: rng.chance(0.5) ? { env: "CHAOS_PW" } : { env: "CHAOS_PW", rotation: "r2" } };
  };
  for (const { user, fate } of fates) {
    if (fate === "drop") continue;
    if (fate === "replace") {
      const plan = choosePlan(null, 0);
      const email = `${user.login}.v2@${newDomain()}`;
      desiredUsers.push({
        login: user.login,
        first_name: "Replaced",
        last_name: user.last_name,
        email,
        plan,
        role: rng.pick(ROLES),
        status: rng.chance(0.15) ? "disabled" : "active",
        aliases: extraAliases(user.login, plan, 0),
        groups: rng.subset(groupNames, 0.3),
        ...password(false),
      });
      continue;
    }
    const permanent = user.aliases.filter((a) => !isCustom(a));
    const plan = choosePlan(user.plan, permanent.length);
    const keptCustom =
      plan === "free"
        ? []
        : user.aliases.filter((a) => isCustom(a) && chosenDomains.includes(domainOf(a)) && rng.chance(0.7));
    for (const alias of user.aliases) {
      if (isCustom(alias) && !keptCustom.includes(alias)) freed.push(alias);
    }
    const aliases = [...permanent, ...keptCustom];
    aliases.push(...extraAliases(user.login, plan, aliases.length));
    desiredUsers.push({
      login: user.login,
      first_name: user.first_name,
      last_name: rng.chance(0.15) ? `${user.last_name}-Renamed` : user.last_name,
      email: user.email,
      plan,
      role: rng.chance(0.25) ? rng.pick(ROLES) : user.role,
      status: user.disabled
        ? rng.chance(0.5)
          ? "active"
          : "disabled"
        : rng.chance(0.15)
          ? "disabled"
          : "active",
      aliases,
      groups: rng.subset(groupNames, 0.3),
      ...password(user.password),
    });
  }
  for (let i = 1, n = rng.int(1, 10); i <= n; i++) {
    const login = `n${i}`;
    const plan = choosePlan(null, 0);
    const email = (rng.chance(0.15) ? takeFreed() : undefined) ?? `${login}@${newDomain()}`;
    desiredUsers.push({
      login,
      first_name: "New",
      last_name: `User${i}`,
      email,
      plan,
      role: rng.pick(ROLES),
      status: rng.chance(0.15) ? "disabled" : "active",
      aliases: extraAliases(login, plan, 0),
      groups: rng.subset(groupNames, rng.chance(0.2) ? 0.95 : 0.3),
      ...password(false),
    });
  }
  // A second active org_admin, as the README recommends.
  const others = desiredUsers.filter((u) => u.login !== "admin");
  if (others.length > 0 && !others.some((u) => u.role === "org_admin" && u.status === "active")) {
    const chosen = rng.pick(others);
    chosen.role = "org_admin";
    chosen.status = "active";
  }
  // Every address that is there after the apply needs its domain.
  const required = new Set<string>();
  for (const u of [...desiredUsers, ...staying]) {
    for (const address of [u.email, ...u.aliases]) if (isCustom(address)) required.add(domainOf(address));
  }
  const domains = DOMAINS.filter((d) => chosenDomains.includes(d) || required.has(d));
  const count = (fate: string) => fates.filter((f) => f.fate === fate).length;
  const notes =
    `removed_users ${removedUsers}; ${users.length} live users (${count("drop")} unlisted, ` +
    `${count("replace")} replaced), ${desiredUsers.length} desired; ${moved} addresses moved; ` +
    `domains ${liveDomains.join("+") || "none"} → ${domains.join("+") || "none"}`;
  return {
    seed,
    live: { domains: liveDomains, groups: liveGroups, users, deleted, adminGroups },
    desired: {
      orgName: rng.chance(0.2) ? `Chaos Org ${seed}` : "Example Org",
      removedUsers,
      domains,
      groups: desiredGroups,
      users: desiredUsers,
    },
    daysLater: rng.int(0, 300),
    faults: { rate: 0.2, kinds: [...FAULT_KINDS], latencyMs: rng.int(5, 20), seed },
    forgetSecret: rng.chance(0.35),
    notes,
  };
}

function orgYaml(s: Scenario): string {
  const doc = {
    version: 1,
    organization: { name: s.desired.orgName, plan: "pro" },
    policy: {
      removed_users: s.desired.removedUsers,
      removal_threshold: { percent: 100, min_users: 0 },
    },
    domains: s.desired.domains.map((name) => ({ name })),
    groups: s.desired.groups,
    users: s.desired.users.map((u) => ({
      login: u.login,
      ...(u.owner ? { owner: true } : {}),
      first_name: u.first_name,
      last_name: u.last_name,
      email: u.email,
      plan: u.plan,
      role: u.role,
      status: u.status,
      aliases: u.aliases,
      groups: u.groups,
      ...(u.password ? { password: u.password } : {}),
    })),
  };
  return stringify(doc);
}

// --- talking to the console and the CLI -----------------------------------------------------------------

interface PlanJson {
  plan_id: string;
  steps: { id: string; action: string; key: string; amount_cents: number; secret?: unknown }[];
  errors: { code: string; message: string }[];
  money: { charges_cents: number; refunds_cents: number; balance_before_cents: number };
}

interface ApplyEvent {
  type: string;
  id?: string;
  plan_id?: string;
  amount_cents?: number;
  code?: string;
  status?: string;
  [key: string]: unknown;
}

interface ApplyRun {
  predicted: PlanJson;
  code: number;
  events: ApplyEvent[];
  planId: string | null;
}

async function setUpLive(ts: TestConsole, s: Scenario): Promise<void> {
  const must = async (method: string, path: string, body?: unknown) => {
    const res = await ts.api(method, path, body);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    return res;
  };
  for (const name of s.live.domains) await must("POST", "/v1/domains", { name });
  for (const group of s.live.groups) await must("POST", "/v1/groups", group);
  for (const group of s.live.adminGroups) await must("PUT", `/v1/groups/${group}/members/admin`);
  const create = (u: LiveUser) =>
    must("POST", "/v1/users", {
      login: u.login,
      email: u.email,
      first_name: u.first_name,
      last_name: u.last_name,
      plan: u.plan,
      role: u.role,
      aliases: u.aliases,
      groups: u.groups,
      ...(u.password ? { password: PASSWORD } : {}),
    });
  for (const user of s.live.users) await create(user);
  for (const user of s.live.users) if (user.disabled) await must("POST", `/v1/users/${user.login}/disable`);
  for (const user of s.live.deleted) {
    await create(user);
    await must("POST", `/v1/users/${user.login}/disable`);
    await must("DELETE", `/v1/users/${user.login}`);
  }
}

/** The whole ledger, read from the console's store in-process: the fault injector sits in front of HTTP only. */
/**
 * The idempotency key of the step a ledger entry belongs to. An entry made by a bulk call carries the call's
 * key (`orgctl:<plan>:bulk-<action>:<hash>`); the step is that action's step of the entry's user.
 */
function stepKeyOf(entry: LedgerEntry): string | null {
  const bulk = /^(orgctl:[^:]+):bulk-(delete|disable):[0-9a-f]{32}$/.exec(entry.idempotency_key ?? "");
  return bulk ? `${bulk[1]}:user/${entry.login}:${bulk[2]}_user` : entry.idempotency_key;
}

function ledgerOf(ts: TestConsole): LedgerEntry[] {
  return ts.running.service.store.ledgerPage(0, 1_000_000);
}

function parseLines(stdout: string): ApplyEvent[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as ApplyEvent);
}

async function runScenario(s: Scenario, log: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `orgctl-chaos-${s.seed}-`));
  let ts: TestConsole | null = null;
  try {
    // 1. The live state, through a console without faults.
    ts = await startTestConsole({ dir, orgPlan: "pro", balanceCents: START_BALANCE });
    await setUpLive(ts, s);
    await ts.close();
    ts = null;
    // 2. The same database behind a console with faults, its clock moved on.
    const now = new Date(SETUP_NOW + s.daysLater * 86_400_000 + 3_600_000).toISOString();
    ts = await startTestConsole({ dir, now, faults: s.faults });
    const console_ = ts;
    writeFileSync(join(dir, "org.yaml"), orgYaml(s));
    log.push(
      `${s.notes}; clock +${s.daysLater} days; faults ${JSON.stringify(s.faults)}; ` +
        `first apply ${s.forgetSecret ? "without" : "with"} CHAOS_PW`,
    );
    log.push(`org.yaml:\n${orgYaml(s)}`);

    const startLedger = ledgerOf(console_);
    const startBalance = console_.running.service.state.balance;
    const startMaxId = startLedger.reduce((max, e) => Math.max(max, e.id), 0);
    expect(startBalance).toBe(startLedger.reduce((sum, e) => sum + e.amount_cents, 0));

    const cli = async (args: string[], withSecret = true): Promise<CliResult> => {
      const result = await runCli([...args, "--endpoint", console_.url], {
        cwd: dir,
        env: { ORGCTL_TOKEN: OWNER_TOKEN, ...(withSecret ? { CHAOS_PW: PASSWORD } : {}) },
      });
      log.push(`$ orgctl ${args.join(" ")} → exit ${result.code}\n${result.stderr}`);
      expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
      expect(result.stdout + result.stderr).not.toContain(PASSWORD);
      return result;
    };
    /** A plan command, retried (up to 3 runs) only when the transport failed. */
    const planCommand = async (args: string[]): Promise<CliResult> => {
      for (let attempt = 1; ; attempt++) {
        const result = await cli(["plan", "-f", "org.yaml", ...args]);
        if (result.code === 1 && TRANSIENT.test(result.stderr) && attempt < 3) continue;
        return result;
      }
    };

    // 3. plan, then apply, until an apply succeeds.
    const runs: ApplyRun[] = [];
    while (runs.length < MAX_APPLIES) {
      const planned = await planCommand(["--format", "json"]);
      expect(planned.code, `plan: ${planned.stderr}${planned.stdout}`).toBe(0);
      const predicted = JSON.parse(planned.stdout) as PlanJson;
      expect(predicted.errors).toEqual([]);
      const forgotten = s.forgetSecret && runs.length === 0;
      let args = ["apply", "-f", "org.yaml", "--auto-approve", "--format", "json", "--parallelism", "4"];
      if (forgotten && predicted.steps.some((step) => step.secret)) {
        // Planned from org.yaml, a missing variable is refused before anything is sent...
        let refused = await cli(args, false);
        for (let attempt = 1; TRANSIENT.test(refused.stderr) && attempt < 3; attempt++) {
          refused = await cli(args, false);
        }
        expect(refused.code, refused.stderr).toBe(1);
        expect(refused.stderr).toContain("secret_missing");
        expect(parseLines(refused.stdout).some((e) => e.type === "apply_started")).toBe(false);
        // ...while a plan saved with it and applied without it fails those steps at run time.
        writeFileSync(join(dir, "saved.json"), planned.stdout);
        args = ["apply", "saved.json", "--auto-approve", "--format", "json", "--parallelism", "4"];
      }
      const result = await cli(args, !forgotten);
      const events = parseLines(result.stdout);
      const started = events.find((e) => e.type === "apply_started");
      const run: ApplyRun = { predicted, code: result.code, events, planId: started?.plan_id ?? null };
      runs.push(run);
      const actions = new Map<string, number>();
      for (const step of predicted.steps) actions.set(step.action, (actions.get(step.action) ?? 0) + 1);
      log.push(`plan actions: ${[...actions].map(([a, n]) => `${a}×${n}`).join(", ")}`);
      log.push(
        `apply #${runs.length}: plan ${run.planId} (predicted ${predicted.plan_id}, ${predicted.steps.length} steps), ` +
          `done ${events.filter((e) => e.type === "step_done").length}, ` +
          `failed ${events
            .filter((e) => e.type === "step_failed")
            .map((e) => `${e.id} ${e.code}`)
            .join("; ")}`,
      );
      expect([0, 1], result.stderr).toContain(result.code);
      const needsSecret = new Set(predicted.steps.filter((step) => step.secret).map((step) => step.id));
      if (forgotten) {
        log.push(`apply #${runs.length} ran without CHAOS_PW (${needsSecret.size} steps need it)`);
        if (needsSecret.size > 0) expect(result.code, "an apply without its password variable").toBe(1);
      }
      if (result.code === 1) {
        // Only the network (or the password variable left out on purpose) may make an apply fail: never a
        // step the plan promised the console would take.
        for (const failed of events.filter((e) => e.type === "step_failed")) {
          const expected =
            TRANSIENT_CODES.has(failed.code!) ||
            (forgotten && failed.code === "secret_missing" && needsSecret.has(failed.id!));
          expect(expected, `${failed.id} failed: ${failed.code} ${failed.message}`).toBe(true);
        }
        if (!started) expect(result.stderr).toMatch(TRANSIENT);
      }
      if (started) {
        // Nothing changed between plan and apply: the apply runs the very plan that was shown.
        expect(run.planId).toBe(predicted.plan_id);
        const byId = new Map(predicted.steps.map((step) => [step.id, step]));
        for (const done of events.filter((e) => e.type === "step_done")) {
          expect(byId.get(done.id!), `${done.id} is in the plan`).toBeDefined();
          expect(done.amount_cents, `amount of ${done.id}`).toBe(byId.get(done.id!)!.amount_cents);
        }
      }
      if (result.code === 0) {
        const summary = events[events.length - 1]!;
        expect(summary).toMatchObject({ type: "summary", status: "done", failed: 0, skipped: 0 });
        const net = events
          .filter((e) => e.type === "step_done")
          .reduce((sum, e) => sum + (e.amount_cents ?? 0), 0);
        expect(net).toBe(predicted.money.refunds_cents - predicted.money.charges_cents);
        break;
      }
    }
    expect(runs[runs.length - 1]!.code, `did not converge in ${MAX_APPLIES} applies`).toBe(0);

    // 4. Nothing is left to do (a non-empty plan is a failure, not something to retry).
    const final = await planCommand(["--detailed-exitcode"]);
    expect(final.code, final.stdout + final.stderr).toBe(0);

    // 5. The money, to the cent.
    const ledger = ledgerOf(console_);
    // A bulk call's entries share its key, one per user: a key names at most one entry per user.
    const keys = ledger
      .filter((e) => e.idempotency_key !== null)
      .map((e) => `${e.idempotency_key} ${e.login}`);
    expect(keys.length - new Set(keys).size, "idempotency keys used twice").toBe(0);
    const added = ledger.filter((e) => e.id > startMaxId);
    const byKey = new Map(added.map((e) => [stepKeyOf(e), e]));
    let doneSum = 0;
    let committedUnknownSum = 0;
    for (const run of runs) {
      if (!run.planId) continue;
      const planned = new Map(run.predicted.steps.map((step) => [step.id, step]));
      for (const event of run.events) {
        const key = `orgctl:${run.planId}:${event.id}`;
        const entry = byKey.get(key);
        if (event.type === "step_done") {
          doneSum += event.amount_cents!;
          if (event.amount_cents === 0) expect(entry, key).toBeUndefined();
          else expect(entry?.amount_cents, key).toBe(event.amount_cents);
        } else if (event.type === "step_failed" && entry) {
          // Committed, but every answer was lost: the next plan no longer has it. Still the predicted amount.
          expect(entry.amount_cents, key).toBe(planned.get(event.id!)!.amount_cents);
          committedUnknownSum += entry.amount_cents;
          log.push(`committed without an answer: ${key} (${event.code})`);
        }
      }
    }
    const known = new Set(
      runs.flatMap((run) =>
        run.events
          .filter((e) => e.type === "step_done" || e.type === "step_failed")
          .map((e) => `orgctl:${run.planId}:${e.id}`),
      ),
    );
    for (const entry of added) {
      expect(known.has(stepKeyOf(entry) ?? ""), `ledger entry ${JSON.stringify(entry)}`).toBe(true);
    }
    const delta = added.reduce((sum, e) => sum + e.amount_cents, 0);
    expect(delta).toBe(doneSum + committedUnknownSum);
    const created = new Map<string, number>();
    for (const e of added.filter((x) => x.reason === "user_created")) {
      created.set(e.login!, (created.get(e.login!) ?? 0) + 1);
    }
    for (const [login, count] of created) expect(count, `user_created entries for ${login}`).toBe(1);
    const balance = console_.running.service.state.balance;
    expect(balance).toBe(startBalance + delta);
    expect(balance).toBe(ledger.reduce((sum, e) => sum + e.amount_cents, 0));
    expect(console_.running.service.store.checkConsistency()).toEqual([]);
    expect(
      console_.running.service.store.currentLock(new Date(now)),
      "the apply lock was released",
    ).toBeNull();
  } finally {
    await ts?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe(`chaos: ${SEEDS.length} randomized applies against a console with faults`, () => {
  beforeAll(() => ensureBuilt());

  for (const seed of SEEDS) {
    it(`seed ${seed} converges, charging every step once`, async () => {
      const log: string[] = [];
      const scenario = makeScenario(seed);
      try {
        await runScenario(scenario, log);
        if (process.env.ORGCTL_CHAOS_VERBOSE) process.stderr.write(`\nseed ${seed}:\n${log.join("\n")}\n`);
      } catch (error) {
        process.stderr.write(
          `\nchaos run failed: seed ${seed} (reproduce: ORGCTL_CHAOS_SEED=${seed} npx vitest run test/chaos/chaos.e2e.test.ts)\n` +
            `${log.join("\n")}\n`,
        );
        if (error instanceof Error) error.message = `seed ${seed}: ${error.message}`;
        throw error;
      }
    }, 150_000);
  }
});
