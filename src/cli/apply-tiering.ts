import { setFlagsFromString } from "node:v8";

/**
 * Apply's steps run on V8's baseline tiers (the interpreter and Sparkplug), without TurboFan from here on.
 * What runs per step is short JavaScript around system calls and undici's WASM parser (kept on Liftoff, see
 * undici-transport.ts): TurboFan's recompilation of it on background threads cost about a fifth of apply's
 * CPU per step over 1,000 steps (steps against `orgctl serve`, the process's threads read from /proc:
 * 1,178–1,198 µs per step by default, 901–990 µs without TurboFan), and the main thread did not get slower
 * (890–1,040 µs against 950–990 µs). Set once the plan is read and made, so that reading org.yaml and
 * planning, which are long loops, still get optimized code; and only on the V8 versions known to have the
 * flag (Node 20–24), since V8 prints an error for a flag it does not know.
 */
export function keepStepsOnBaselineTiers(): void {
  const major = Number(process.versions.v8.split(".")[0]);
  if (major >= 11 && major <= 13) setFlagsFromString("--max-opt=1");
}
