import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");
export const CLI = join(REPO_ROOT, "dist", "cmd", "orgctl.js");
export const CLI_TIMEOUT_MS = 60_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** Merged over the clean base environment (which has no ORGCTL_* variables and NO_COLOR=1). */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to the child's standard input, which is then closed. */
  input?: string;
}

/** Builds the CLI once when dist/cmd/orgctl.js is missing. */
export function ensureBuilt(): void {
  if (existsSync(CLI)) return;
  execFileSync("npm", ["run", "build"], {
    cwd: REPO_ROOT,
    stdio: "pipe",
    shell: process.platform === "win32",
  });
  if (!existsSync(CLI)) throw new Error(`npm run build did not produce ${CLI}`);
}

/** process.env without ORGCTL_* (so the developer's shell cannot leak a token or endpoint in), NO_COLOR=1. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.toUpperCase().startsWith("ORGCTL_")) continue;
    env[key] = value;
  }
  // The child is not a TTY anyway; drop hints that would force colour back on.
  delete env.FORCE_COLOR;
  env.NO_COLOR = "1";
  return env;
}

/** Runs `node dist/cmd/orgctl.js ...args` as a child process without a TTY. Never rejects on a non-zero exit. */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  ensureBuilt();
  const env = { ...baseEnv(), ...(options.env ?? {}) };
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env,
      stdio: ["pipe", "pipe", "pipe"],
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, CLI_TIMEOUT_MS);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout).toString("utf8");
      const err = Buffer.concat(stderr).toString("utf8");
      if (timedOut) {
        reject(
          new Error(
            `orgctl ${args.join(" ")} timed out after ${CLI_TIMEOUT_MS} ms\nstdout:\n${out}\nstderr:\n${err}`,
          ),
        );
        return;
      }
      resolve({ code: code ?? (signal ? 128 : 1), stdout: out, stderr: err });
    });
    // EPIPE when the child exits before reading its input is not a failure of the run.
    child.stdin.on("error", () => {});
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** True when the text holds a JavaScript stack frame, which a user-facing error must never show. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+/m.test(text);
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return address.port;
}
