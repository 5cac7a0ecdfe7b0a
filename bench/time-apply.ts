/** Times `orgctl apply --format json` from outside, by its events. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Runs `orgctl apply --format json` and times its events: the apply phase, and the whole command. */
export async function timeApply(
  cli: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ applyMs: number; wallMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let first = 0;
  let last = 0;
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const type = (JSON.parse(line) as { type: string }).type;
    if (type === "apply_started") first = performance.now();
    if (type === "summary") last = performance.now();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0 || !first || !last) throw new Error(`orgctl apply failed (exit ${code})`);
  return { applyMs: last - first, wallMs: performance.now() - started };
}
