/** Times `orgctl apply --format json` from outside, by its events. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { cpuMicros } from "./console.js";

/**
 * Runs `orgctl apply --format json` and times its events: the apply phase, the whole command, and the CPU time
 * over the apply phase (read when its first and last events arrive) of the apply process and of the console
 * (`consolePid`): the console's then counts the steps' requests only, as the plain client's run counts its
 * creates only, not the plan check, the lock and the rest of the command around them.
 */
export async function timeApply(
  cli: string,
  args: string[],
  env: Record<string, string>,
  consolePid?: number,
): Promise<{ applyMs: number; wallMs: number; cpuUs: number | null; consoleCpuUs: number | null }> {
  const started = performance.now();
  // BENCH_APPLY_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the apply process.
  const nodeArgs = process.env.BENCH_APPLY_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, cli, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let first = 0;
  let last = 0;
  let cpuFirst: number | null = null;
  let cpuLast: number | null = null;
  let consoleFirst: number | null = null;
  let consoleLast: number | null = null;
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const type = (JSON.parse(line) as { type: string }).type;
    if (type === "apply_started") {
      first = performance.now();
      cpuFirst = cpuMicros(child.pid);
      consoleFirst = cpuMicros(consolePid);
    }
    if (type === "summary") {
      last = performance.now();
      cpuLast = cpuMicros(child.pid);
      consoleLast = cpuMicros(consolePid);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0 || !first || !last) throw new Error(`orgctl apply failed (exit ${code})`);
  return {
    applyMs: last - first,
    wallMs: performance.now() - started,
    cpuUs: cpuFirst === null || cpuLast === null ? null : cpuLast - cpuFirst,
    consoleCpuUs: consoleFirst === null || consoleLast === null ? null : consoleLast - consoleFirst,
  };
}
