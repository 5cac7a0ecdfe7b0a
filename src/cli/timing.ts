/**
 * `ORGCTL_TIMING=1`: at exit, one line on stderr, `orgctl timing: {...}` (JSON), saying where a command's time
 * went: for a plan, the wall time of loading org.yaml and of reading the console, the CPU time of the diff
 * and simulation (buildPlan), the requests sent, and the process's peak RSS. It is for benchmarks and for
 * finding what is slow: never part of a plan's output, and off unless asked for.
 */

const figures: Record<string, number> = {};

export function timingEnabled(): boolean {
  const value = process.env.ORGCTL_TIMING?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "0" && value !== "false";
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Records one figure (ms, or a count); a figure recorded twice (apply plans, then re-reads) adds up. */
export function recordTiming(name: string, value: number): void {
  figures[name] = round((figures[name] ?? 0) + value);
}

/** Runs `work` and records its wall time as `${name}_ms`. */
export async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    recordTiming(`${name}_ms`, performance.now() - started);
  }
}

/** Runs synchronous `work` and records its CPU time (user + system) as `${name}_cpu_ms`. */
export function cpuTimed<T>(name: string, work: () => T): T {
  const before = process.cpuUsage();
  try {
    return work();
  } finally {
    const used = process.cpuUsage(before);
    recordTiming(`${name}_cpu_ms`, (used.user + used.system) / 1000);
  }
}

/** The timing line, with the whole process's wall time and peak RSS; null when ORGCTL_TIMING is off. */
export function timingLine(): string | null {
  if (!timingEnabled()) return null;
  const report = {
    ...figures,
    total_ms: round(performance.now()),
    max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  return `orgctl timing: ${JSON.stringify(report)}\n`;
}
