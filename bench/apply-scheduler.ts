/**
 * Apply's scheduler on its own: a plan of N steps against a console that answers at once, so that what is
 * measured is the CPU apply spends deciding what to start, recording and reporting. Linear means 10,000
 * steps cost about 10× 1,000 steps (target: at most 12×). Run alone: `node dist/bench/bench/apply-scheduler.js`.
 */
import { applyPlan } from "../src/apply/execute.js";
import type { ConsoleClient } from "../src/client/console-client.js";
import type { Plan, PlanStep } from "../src/plan/model.js";

/** Groups, each created and then joined by ten users; a tenth of the users are also created first. */
function syntheticPlan(n: number): Plan {
  const steps: PlanStep[] = [];
  const add = (step: Omit<PlanStep, "index" | "balance_after_cents" | "destructive" | "symbol">) =>
    steps.push({ ...step, index: steps.length + 1, balance_after_cents: 0, destructive: false, symbol: "+" });
  let group = "";
  for (let i = 0; steps.length < n; i++) {
    if (i % 11 === 0) {
      group = `g${i}`;
      add({
        id: `group/${group}:create_group`,
        action: "create_group",
        kind: "group",
        key: group,
        summary: `create group ${group}`,
        operation: { op: "create_group", name: group, description: "" },
        amount_cents: 0,
        depends_on: [],
      });
      continue;
    }
    const login = `u${i}`;
    const create = i % 10 === 1;
    if (create) {
      add({
        id: `user/${login}:create_user`,
        action: "create_user",
        kind: "user",
        key: login,
        summary: `create user ${login}`,
        operation: {
          op: "create_user",
          user: {
            login,
            email: `${login}@bench.example`,
            first_name: "B",
            last_name: "B",
            plan: "pro",
            role: "member",
          },
        },
        amount_cents: -4200,
        depends_on: [],
      });
    }
    if (steps.length >= n) break;
    add({
      id: `membership/${group}/${login}:add_member`,
      action: "add_member",
      kind: "membership",
      key: `${group}/${login}`,
      summary: `add ${login} to group ${group}`,
      operation: { op: "add_member", group, login },
      amount_cents: 0,
      depends_on: [`group/${group}:create_group`, ...(create ? [`user/${login}:create_user`] : [])],
    });
  }
  return {
    format_version: 2,
    plan_id: "bench",
    config: { file: "org.yaml", hash: "0" },
    console: {
      target: "bench",
      revision: 1,
      org: "Bench",
      org_plan: "bench",
      actor: { login: "owner", role: "org_admin" },
    },
    steps,
    blocked: [],
    errors: [],
    warnings: [],
    counts: { create: steps.length, update: 0, delete: 0, replace: 0, blocked: 0, failed: 0, skipped: 0 },
    money: {
      currency: "EUR",
      balance_before_cents: 0,
      balance_after_cents: 0,
      charges_cents: 0,
      refunds_cents: 0,
      lowest_balance_cents: 0,
      min_balance_cents: 0,
      yearly_cost_before_cents: 0,
      yearly_cost_after_cents: 0,
      renewals_due: [],
      renewals_horizon_days: 30,
      shortfall_cents: 0,
      priced_on: "2026-03-01",
    },
  };
}

const answer = () =>
  Promise.resolve({ status: 200, body: { balance_cents: 1_000_000 }, etag: null, replayed: false });
const instant = { request: answer, perform: answer } as unknown as ConsoleClient;

/** CPU milliseconds (user + system) of one apply of `n` steps, median of `runs`. */
async function cpuMs(n: number, runs: number): Promise<number> {
  const plan = syntheticPlan(n);
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    let events = 0;
    const start = process.cpuUsage();
    const summary = await applyPlan(plan, {
      client: instant,
      parallelism: 4,
      emit: () => {
        events += 1;
      },
      resolveSecret: () => "",
    });
    const used = process.cpuUsage(start);
    if (summary.done !== n || events < n) throw new Error(`bench: apply of ${n} steps did ${summary.done}`);
    samples.push((used.user + used.system) / 1000);
  }
  return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

export interface SchedulerBench {
  steps_1k_cpu_ms: number;
  steps_10k_cpu_ms: number;
  ratio: number;
}

export async function measureApplyScheduler(): Promise<SchedulerBench> {
  await cpuMs(1000, 2); // warm-up: JIT and module loading are not the scheduler
  const small = await cpuMs(1000, 7);
  const large = await cpuMs(10_000, 5);
  return {
    steps_1k_cpu_ms: Math.round(small * 10) / 10,
    steps_10k_cpu_ms: Math.round(large * 10) / 10,
    ratio: Math.round((large / small) * 10) / 10,
  };
}

if (process.argv[1]?.endsWith("apply-scheduler.js")) {
  process.stdout.write(`${JSON.stringify(await measureApplyScheduler())}\n`);
}
