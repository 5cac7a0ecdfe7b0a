import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Option } from "commander";
import type { ConsoleClient } from "../client/console-client.js";
import type { LoadedConfig } from "../config/load.js";
import type { RunningConsole } from "../console/server.js";
import { checkEndpoint } from "./endpoint-check.js";
import { CliError } from "./errors.js";
import { refuseDirectory } from "./files.js";
import { sniffSlug } from "./slug-sniff.js";
import { withSqlite } from "./sqlite.js";

/** The options every command that talks to a console takes. */
export function endpointOption(): Option {
  return new Option("--endpoint <url>", "console API URL (env ORGCTL_ENDPOINT)");
}

export function sandboxOption(): Option {
  return new Option("--sandbox <file>", "sandbox database when no endpoint is given (env ORGCTL_SANDBOX)");
}

/** `-f`: org.yaml, for the commands that read it only to find (or create) the sandbox next to it. */
export function fileOption(): Option {
  return new Option(
    "-f, --file <file>",
    "org.yaml: without an endpoint, the sandbox console is the one next to it",
  ).default("org.yaml");
}

export interface TargetFlags {
  endpoint?: string;
  sandbox?: string;
  /** org.yaml: the sandbox lives next to it. */
  file?: string;
}

/** Where orgctl talks to: a remote console, or the embedded sandbox. */
export interface Target {
  client: ConsoleClient;
  /** What to call it in every output: the endpoint (never with credentials), or `sandbox FILE`. */
  label: string;
  sandbox: RunningConsole | null;
  close(): Promise<void>;
}

export function sandboxPath(flags: TargetFlags, config: LoadedConfig | null): string {
  if (flags.sandbox) return resolve(flags.sandbox);
  if (process.env.ORGCTL_SANDBOX) return resolve(process.env.ORGCTL_SANDBOX);
  // Next to org.yaml, so that each organization's file gets its own sandbox (and every command finds it).
  const file = config?.file ?? flags.file;
  return join(file ? dirname(resolve(file)) : process.cwd(), ".orgctl", "sandbox.db");
}

/** `CI` as CI services set it: present, non-empty, and not "false" or "0". */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "false" && value !== "0";
}

/**
 * A CI job that names no console would plan and apply against a throwaway sandbox file and report success.
 * There, the sandbox must be asked for by name.
 */
export function refuseImplicitSandboxInCi(flags: TargetFlags): void {
  if (!inCi() || flags.endpoint || process.env.ORGCTL_ENDPOINT) return;
  if (flags.sandbox || process.env.ORGCTL_SANDBOX) return;
  throw new CliError(
    "no_console",
    "CI is set but no console is named: set ORGCTL_ENDPOINT (and ORGCTL_TOKEN) to the console this job " +
      "manages, or pass --sandbox FILE to use a local sandbox console on purpose",
  );
}

export async function openTarget(flags: TargetFlags, config: LoadedConfig | null): Promise<Target> {
  refuseImplicitSandboxInCi(flags);
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
    try {
      await checkEndpoint(client, url);
    } catch (error) {
      await client.close();
      throw error;
    }
    const target = { client, label: client.endpoint, sandbox: null, close: () => client.close() };
    return scopeTarget(target, config?.desired.organization.slug);
  }
  const slug = config?.desired.organization.slug;
  // A file that names its organization gets it in the sandbox as one of the organizations the sandbox's own
  // (a partner) manages, as in a fleet; a file without a slug is the sandbox's own organization, as ever.
  const sandbox = await openSandbox(flags, config, slug === undefined ? (config?.desired ?? null) : null);
  try {
    return await sandbox.target(slug ?? null, config, true);
  } catch (error) {
    await sandbox.close();
    throw error;
  }
}

/** The embedded sandbox console, running, and the targets of its organizations. */
export interface OpenSandbox {
  path: string;
  running: RunningConsole;
  /**
   * The target of organization `slug` (created from `config` when missing), or of the sandbox's own when
   * null. `owned`: closing the target closes the sandbox too (one command, one organization).
   */
  target(slug: string | null, config: LoadedConfig | null, owned?: boolean): Promise<Target>;
  close(): Promise<void>;
}

/**
 * Starts the sandbox console beside org.yaml (or at --sandbox FILE), creating it on first use with
 * `rootDesired` as its own organization (null: a partner organization of its own, "orgctl sandbox").
 */
export async function openSandbox(
  flags: TargetFlags,
  config: LoadedConfig | null,
  rootDesired: LoadedConfig["desired"] | null,
): Promise<OpenSandbox> {
  const { ConsoleClient } = await import("../client/console-client.js");
  const { SANDBOX_BALANCE_CENTS, SANDBOX_TOKEN, ensureSandboxOrg, sandboxBootstrap, startSandbox } =
    await withSqlite(() => import("../console/sandbox.js"), "the embedded sandbox console");
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
  const sandboxToken = process.env.ORGCTL_TOKEN ?? SANDBOX_TOKEN;
  const bootstrap = sandboxBootstrap(rootDesired, sandboxToken, balance);
  const root =
    rootDesired === null
      ? // Its owner's address is one no org file is likely to want: addresses are unique in the console.
        {
          ...bootstrap,
          orgName: "orgctl sandbox",
          ownerLogin: "orgctl-sandbox",
          ownerEmail: `orgctl-sandbox@${bootstrap.providerDomain}`,
        }
      : bootstrap;
  const running = await withSqlite(() => startSandbox(path, root, clock), "the embedded sandbox console");
  if (created) process.stderr.write(`orgctl: created the sandbox console at ${path}\n`);
  const open = (slug: string | null, owned: boolean): Target => {
    // The sandbox answers on loopback from this very process: node:http, already loaded by its server, reads
    // it without undici's import and WASM parser (the fixed cost of a command, not of its requests).
    const client = new ConsoleClient({
      endpoint: running.url,
      token: sandboxToken,
      transport: "node-http",
      ...(slug === null ? {} : { org: slug }),
    });
    return {
      client,
      label: slug === null ? `sandbox ${path}` : `sandbox ${path} org ${slug}`,
      sandbox: running,
      async close() {
        await client.close();
        if (owned) await running.close();
      },
    };
  };
  return {
    path,
    running,
    async target(slug, orgConfig, owned = false) {
      if (slug !== null) {
        await withSqlite(
          () =>
            ensureSandboxOrg(running, { slug, desired: orgConfig?.desired ?? null, balanceCents: balance }),
          "the embedded sandbox console",
        );
      }
      return open(slug, owned);
    },
    close: () => running.close(),
  };
}

/**
 * A remote target acting in the organization org.yaml names (`organization.slug`): its requests go to
 * its organization's prefix (orgScopedPath), and its label, which every output and saved plan carries, names the organization.
 * Without a slug, the token's own organization, as before.
 */
export function scopeTarget(target: Target, slug: string | undefined): Target {
  // A sandbox target is scoped when it is opened (openSandbox), where a missing organization is created.
  if (slug === undefined || target.sandbox !== null) return target;
  target.client.actIn(slug);
  return { ...target, label: `${target.client.endpoint} org ${slug}` };
}

/**
 * openTarget for the commands that do not plan (wallet, logout): they find the sandbox next to org.yaml like
 * plan does, and when it does not exist yet, create it from org.yaml (if there is one) as plan would.
 */
export async function openTargetNextTo(flags: TargetFlags): Promise<Target> {
  refuseImplicitSandboxInCi(flags);
  let config: LoadedConfig | null = null;
  const remote = Boolean(flags.endpoint ?? process.env.ORGCTL_ENDPOINT);
  const exists = Boolean(flags.file && existsSync(flags.file));
  // A file that names its organization (organization.slug) is read too: that organization is the target.
  const named = exists && sniffSlug(flags.file!) !== undefined;
  if (exists && (named || (!remote && !existsSync(sandboxPath(flags, null))))) {
    const { loadChecked } = await import("./config-io.js");
    config = loadChecked(flags.file!, null).config;
  }
  return openTarget(flags, config);
}
