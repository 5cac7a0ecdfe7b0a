import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { FaultSpec } from "../../src/console/faults.js";
import { type RunningConsole, startConsole } from "../../src/console/server.js";
import { type BootstrapOptions, DEFAULT_BOOTSTRAP } from "../../src/console/service.js";
import type { Verifier } from "../../src/domain/index.js";
import { checkResponse } from "./api-contract.js";

export const OWNER_TOKEN = "oct_test-owner-token-7Qm2xK9pL4vN8rT3";

/** The bootstrap owner as an org.yaml users entry (for templates under `users:`). */
export const OWNER_USER_YAML = `  - login: admin
    owner: true
    first_name: Org
    last_name: Owner
    email: admin@console.test
    plan: pro
    role: org_admin
`;
export const REPO = join(import.meta.dirname, "..", "..");

export interface TestConsoleOptions extends Partial<Omit<BootstrapOptions, "token">> {
  /** Pinned clock, ISO 8601. A function lets a test move time. */
  now?: string | (() => Date);
  rateLimit?: number;
  bodyLimit?: number;
  verifier?: Verifier;
  resolveTxt?: (name: string) => Promise<string[]>;
  dir?: string;
  /** Injected faults (see src/console/faults.ts), for resilience tests. */
  faults?: FaultSpec;
  accessLog?: (line: string) => void;
  /** Makes the first organization a partner (`orgctl serve --partner-org`). */
  partnerOrg?: boolean;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestConsole {
  url: string;
  dbPath: string;
  dir: string;
  running: RunningConsole;
  /** Calls the API as `token` (the owner's by default). */
  api<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string | null; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

/** The real console server, in-process, on 127.0.0.1 with an ephemeral port and a temporary SQLite file. */
export async function startTestConsole(options: TestConsoleOptions = {}): Promise<TestConsole> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "orgctl-test-"));
  const dbPath = join(dir, "console.db");
  const now = options.now ?? "2026-03-01T12:00:00Z";
  const clock = typeof now === "function" ? now : () => new Date(now);
  const {
    now: _n,
    rateLimit,
    bodyLimit,
    resolveTxt,
    dir: _d,
    faults,
    accessLog,
    partnerOrg,
    ...bootstrap
  } = options;
  const running = await startConsole({
    dbPath,
    host: "127.0.0.1",
    port: 0,
    clock,
    bootstrap: { ...DEFAULT_BOOTSTRAP, verifier: "auto", ...bootstrap, token: OWNER_TOKEN },
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    ...(bodyLimit !== undefined ? { bodyLimit } : {}),
    ...(resolveTxt ? { resolveTxt } : {}),
    ...(faults ? { faults } : {}),
    ...(accessLog ? { accessLog } : {}),
    ...(partnerOrg ? { partnerOrg } : {}),
  });
  return {
    url: running.url,
    dbPath,
    dir,
    running,
    api: (method, path, body, opts = {}) =>
      callApi(
        running.url,
        method,
        path,
        body,
        opts.token === undefined ? OWNER_TOKEN : opts.token,
        opts.headers,
      ),
    async close() {
      await running.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function callApi(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = OWNER_TOKEN,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  const answer = { status: response.status, headers: response.headers, body: parsed };
  // Every response a test sees must be one the published API description allows (see api-contract.ts).
  checkResponse(method, path, answer);
  return answer;
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output: string[];
  exited: Promise<number | null>;
}

/** Runs the built CLI's `orgctl serve` as a child process and waits until it listens. */
export async function spawnServe(
  dbPath: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [join(REPO, "dist", "cmd", "orgctl.js"), "serve", "--db", dbPath, "--port", "0", ...args],
    {
      env: { ...process.env, ORGCTL_BOOTSTRAP_TOKEN: OWNER_TOKEN, ORGCTL_VERIFIER: "auto", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      output.push(line);
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`orgctl serve exited with ${code}: ${output.join("\n")}`)));
  });
  return { child, url, output, exited };
}
