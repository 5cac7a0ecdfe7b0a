import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Option } from "commander";
import type { ConsoleClient } from "../client/console-client.js";
import type { LoadedConfig } from "../config/load.js";
import type { RunningConsole } from "../console/server.js";
import { CliError } from "./errors.js";
import { refuseDirectory } from "./files.js";

/** The options every command that talks to a console takes. */
export function endpointOption(): Option {
  return new Option("--endpoint <url>", "console API URL (env ORGCTL_ENDPOINT)");
}

export function sandboxOption(): Option {
  return new Option("--sandbox <file>", "sandbox database when no endpoint is given (env ORGCTL_SANDBOX)");
}

export interface TargetFlags {
  endpoint?: string;
  sandbox?: string;
}

/** Where orgctl talks to: a remote console, or the embedded sandbox. */
export interface Target {
  client: ConsoleClient;
  /** What to call it in messages: the endpoint, or `sandbox (FILE)`. */
  label: string;
  sandbox: RunningConsole | null;
  close(): Promise<void>;
}

export function sandboxPath(flags: TargetFlags, config: LoadedConfig | null): string {
  if (flags.sandbox) return resolve(flags.sandbox);
  if (process.env.ORGCTL_SANDBOX) return resolve(process.env.ORGCTL_SANDBOX);
  // Next to org.yaml, so that each organization's file gets its own sandbox.
  return join(config ? dirname(resolve(config.file)) : process.cwd(), ".orgctl", "sandbox.db");
}

export async function openTarget(flags: TargetFlags, config: LoadedConfig | null): Promise<Target> {
  // Loaded here, not at the top: `orgctl --version` and `validate` must start without undici or SQLite.
  const { ConsoleClient } = await import("../client/console-client.js");
  const endpoint = flags.endpoint ?? process.env.ORGCTL_ENDPOINT;
  const token = process.env.ORGCTL_TOKEN;
  if (endpoint) {
    if (!token) {
      throw new CliError(
        "missing_token",
        `set ORGCTL_TOKEN to an API token for ${endpoint} (an org_admin can issue one)`,
      );
    }
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new CliError(
        "invalid_flag",
        `--endpoint ${endpoint} is not a URL; use e.g. http://127.0.0.1:8080`,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new CliError(
        "invalid_flag",
        `--endpoint must be an http:// or https:// URL (got ${url.protocol})`,
      );
    }
    const client = new ConsoleClient({ endpoint, token });
    return { client, label: client.endpoint, sandbox: null, close: () => client.close() };
  }
  const { SANDBOX_BALANCE_CENTS, SANDBOX_TOKEN, sandboxBootstrap, startSandbox } = await import(
    "../console/sandbox.js"
  );
  const { clockFromEnv } = await import("../console/service.js");
  const path = sandboxPath(flags, config);
  refuseDirectory(path, { what: "a sandbox database", fix: "pass --sandbox FILE with a file name" });
  const created = !existsSync(path);
  let clock: ReturnType<typeof clockFromEnv>;
  try {
    clock = clockFromEnv();
  } catch (error) {
    throw new CliError("invalid_env", (error as Error).message);
  }
  const balance = Number(process.env.ORGCTL_SANDBOX_BALANCE_CENTS ?? SANDBOX_BALANCE_CENTS);
  if (!Number.isSafeInteger(balance) || balance < 0) {
    throw new CliError("invalid_env", "ORGCTL_SANDBOX_BALANCE_CENTS must be a whole number of cents");
  }
  const sandboxToken = token ?? SANDBOX_TOKEN;
  const running = await startSandbox(
    path,
    sandboxBootstrap(config?.desired ?? null, sandboxToken, balance),
    clock,
  );
  if (created) process.stderr.write(`orgctl: created the sandbox console at ${path}\n`);
  const client = new ConsoleClient({ endpoint: running.url, token: sandboxToken });
  return {
    client,
    label: `sandbox (${path})`,
    sandbox: running,
    async close() {
      await client.close();
      await running.close();
    },
  };
}
