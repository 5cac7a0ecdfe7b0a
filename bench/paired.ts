/**
 * Paired timing of whole commands, as a process sees them from outside: A and B run in turn (A B A B …) after
 * a warm-up, and each pair gives a ratio A/B, so that a comparison holds while a shared machine's speed
 * drifts. Quote medians; the spread says how noisy the machine was.
 */
import { spawnSync } from "node:child_process";

export interface Command {
  argv: string[];
  /** Runs before each run of the command, outside its timing (e.g. to clear a cache for a cold run). */
  prepare?: () => void;
  env?: Record<string, string>;
  cwd?: string;
}

export interface Run {
  wallMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runOnce(command: Command): Run {
  const [file, ...args] = command.argv;
  command.prepare?.();
  const started = process.hrtime.bigint();
  const result = spawnSync(file!, args, {
    env: { ...process.env, NO_COLOR: "1", ...command.env },
    ...(command.cwd ? { cwd: command.cwd } : {}),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error) throw result.error;
  return { wallMs, code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Fails loudly: a benchmark of a command that did not do its work measures nothing. */
export function checked(run: Run, what: string, okCodes = [0]): Run {
  if (run.code === null || !okCodes.includes(run.code)) {
    throw new Error(`${what} exited ${run.code}:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
  }
  return run;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export interface Paired {
  a: Run[];
  b: Run[];
}

/** `runs` pairs after `warmup` unrecorded pairs; `check` sees every run (and may throw). */
export function paired(
  a: Command,
  b: Command,
  runs: number,
  warmup = 1,
  check: (run: Run, which: "a" | "b") => void = () => {},
): Paired {
  const out: Paired = { a: [], b: [] };
  for (let i = 0; i < warmup + runs; i++) {
    const ra = runOnce(a);
    check(ra, "a");
    const rb = runOnce(b);
    check(rb, "b");
    if (i >= warmup) {
      out.a.push(ra);
      out.b.push(rb);
    }
  }
  return out;
}

/** The median of the pairwise ratios A/B, with min and max. */
export function ratioStats(a: number[], b: number[]): { median: number; min: number; max: number } {
  const ratios = a.map((value, i) => value / b[i]!);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}
