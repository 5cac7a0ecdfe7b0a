import type { Command } from "commander";
import { DEFAULT_BOOTSTRAP } from "../console/bootstrap-defaults.js";
import type { FaultSpec } from "../console/faults.js";
import type { BootstrapOptions } from "../console/service.js";
import { type Catalog, DEFAULT_CATALOG, findOrgPlan, findPlan } from "../domain/catalog.js";
import type { Verifier } from "../domain/model.js";
import { firstJsonError } from "../plan/json-syntax.js";
import { CliError } from "./errors.js";
import { keepRunning } from "./exit.js";
import { readIn, refuseDirectory } from "./files.js";
import { withSqlite } from "./sqlite.js";

interface ServeFlags {
  db: string;
  host: string;
  port: string;
  orgName: string;
  orgPlan: string;
  ownerLogin: string;
  ownerEmail: string;
  ownerFirstName: string;
  ownerLastName: string;
  ownerPlan: string;
  balanceCents: string;
  providerDomain: string;
  verifier: string;
  rateLimit: string;
  bodyLimit: string;
  accessLog: boolean;
  partnerOrg: boolean | string;
  faults?: string;
  catalog?: string;
}

function env(name: string, fallback: string): string {
  return process.env[name] ?? fallback;
}

function wholeNumber(flag: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CliError("invalid_flag", `${flag} must be a whole number from ${min} to ${max} (got ${raw})`);
  }
  return value;
}

/** ORGCTL_PARTNER_ORG: `1` is the first organization, any other value a slug; unset or empty, none. */
function partnerOrgFromEnv(value: string | undefined): boolean | string {
  if (!value) return false;
  return value === "1" ? true : value;
}

export function registerServe(program: Command): void {
  const d = DEFAULT_BOOTSTRAP;
  program
    .command("serve")
    .description("run the reference admin console (HTTP API over a SQLite file)")
    .option("--db <file>", "SQLite database file (env ORGCTL_DB)", env("ORGCTL_DB", ".orgctl/console.db"))
    .option("--host <host>", "address to listen on", env("ORGCTL_HOST", "127.0.0.1"))
    .option(
      "--port <n>",
      "port to listen on; 0 picks a free one (env ORGCTL_PORT)",
      env("ORGCTL_PORT", "8080"),
    )
    .option(
      "--org-name <name>",
      "bootstrap: organization name (env ORGCTL_ORG_NAME)",
      env("ORGCTL_ORG_NAME", d.orgName),
    )
    .option(
      "--org-plan <plan>",
      "bootstrap: org plan entry|pro|ultra (env ORGCTL_ORG_PLAN)",
      env("ORGCTL_ORG_PLAN", d.orgPlan),
    )
    .option(
      "--owner-login <login>",
      "bootstrap: owner login (env ORGCTL_OWNER_LOGIN)",
      env("ORGCTL_OWNER_LOGIN", d.ownerLogin),
    )
    .option(
      "--owner-email <email>",
      "bootstrap: owner email (env ORGCTL_OWNER_EMAIL)",
      env("ORGCTL_OWNER_EMAIL", d.ownerEmail),
    )
    .option(
      "--owner-first-name <name>",
      "bootstrap: owner first name (env ORGCTL_OWNER_FIRST_NAME)",
      env("ORGCTL_OWNER_FIRST_NAME", d.ownerFirstName),
    )
    .option(
      "--owner-last-name <name>",
      "bootstrap: owner last name (env ORGCTL_OWNER_LAST_NAME)",
      env("ORGCTL_OWNER_LAST_NAME", d.ownerLastName),
    )
    .option(
      "--owner-plan <plan>",
      "bootstrap: owner's user plan, charged from the balance (env ORGCTL_OWNER_PLAN)",
      env("ORGCTL_OWNER_PLAN", d.ownerPlan),
    )
    .option(
      "--balance-cents <n>",
      "bootstrap: starting wallet balance in cents (env ORGCTL_BALANCE_CENTS)",
      env("ORGCTL_BALANCE_CENTS", String(d.balanceCents)),
    )
    .option(
      "--provider-domain <domain>",
      "bootstrap: the provider's own mail domain (env ORGCTL_PROVIDER_DOMAIN)",
      env("ORGCTL_PROVIDER_DOMAIN", d.providerDomain),
    )
    .option(
      "--verifier <mode>",
      "bootstrap: custom-domain verifier, dns or auto (env ORGCTL_VERIFIER)",
      env("ORGCTL_VERIFIER", d.verifier),
    )
    .option(
      "--rate-limit <n>",
      "requests per second per token, 0 = off (env ORGCTL_RATE_LIMIT)",
      env("ORGCTL_RATE_LIMIT", "0"),
    )
    .option(
      "--body-limit <bytes>",
      "largest request body accepted",
      env("ORGCTL_BODY_LIMIT", String(1024 * 1024)),
    )
    .option("--access-log", "print one line per request (method, path, status, time)", false)
    .option(
      "--partner-org [slug]",
      "make an organization a partner (the first one, or the one with this slug): it may create organizations and act as org_admin in them (env ORGCTL_PARTNER_ORG=1 or =SLUG; kept in the database)",
      partnerOrgFromEnv(process.env.ORGCTL_PARTNER_ORG),
    )
    .option(
      "--faults <spec>",
      "inject faults, e.g. rate=0.2,kinds=503+429+reset+latency+commit-drop,latency=200ms,seed=1 (env ORGCTL_FAULTS)",
      process.env.ORGCTL_FAULTS,
    )
    .option(
      "--catalog <file>",
      "bootstrap: a JSON catalog of plans and org plans instead of the default (env ORGCTL_CATALOG)",
      process.env.ORGCTL_CATALOG,
    )
    .addHelpText(
      "after",
      `
Bootstrap happens only when the database is empty. ORGCTL_BOOTSTRAP_TOKEN, if set, becomes the owner's
API token; otherwise one is generated and printed once. ORGCTL_NOW (ISO 8601) pins the console's clock,
for tests of prorating and renewals.`,
    )
    .action(async (flags: ServeFlags) => {
      if (flags.verifier !== "dns" && flags.verifier !== "auto") {
        throw new CliError("invalid_flag", `--verifier must be dns or auto (got ${flags.verifier})`);
      }
      let faults: FaultSpec | undefined;
      if (flags.faults) {
        const { parseFaults } = await import("../console/faults.js");
        try {
          faults = parseFaults(flags.faults);
        } catch (error) {
          throw new CliError("invalid_flag", (error as Error).message);
        }
      }
      refuseDirectory(flags.db, { what: "a database file", fix: "pass --db FILE with a file name" });
      const catalog = flags.catalog ? readCatalog(flags.catalog) : DEFAULT_CATALOG;
      if (!findOrgPlan(catalog, flags.orgPlan)) {
        throw new CliError(
          "invalid_flag",
          `--org-plan must be one of ${catalog.org_plans.map((p) => p.name).join(", ")}`,
        );
      }
      if (!findPlan(catalog, flags.ownerPlan)) {
        throw new CliError(
          "invalid_flag",
          `--owner-plan must be one of ${catalog.plans.map((p) => p.name).join(", ")}`,
        );
      }
      const bootstrapToken = process.env.ORGCTL_BOOTSTRAP_TOKEN;
      if (bootstrapToken) {
        const { bootstrapTokenProblem } = await import("../console/credentials.js");
        const problem = bootstrapTokenProblem(bootstrapToken);
        if (problem) {
          throw new CliError(
            "weak_token",
            `${problem}: it would guard the owner's account; generate one with \`openssl rand -base64 32\`, or unset it and serve prints a generated token once`,
          );
        }
      }
      const bootstrap: BootstrapOptions = {
        catalog,
        orgName: flags.orgName,
        orgPlan: flags.orgPlan,
        ownerLogin: flags.ownerLogin,
        ownerEmail: flags.ownerEmail,
        ownerFirstName: flags.ownerFirstName,
        ownerLastName: flags.ownerLastName,
        ownerPlan: flags.ownerPlan,
        balanceCents: wholeNumber("--balance-cents", flags.balanceCents, 0, 1_000_000_000),
        providerDomain: flags.providerDomain,
        verifier: flags.verifier as Verifier,
        ...(bootstrapToken ? { token: bootstrapToken } : {}),
      };
      // The server (SQLite, HTTP) loads only when serve runs; SQLite is an optional dependency.
      const { startConsole } = await withSqlite(() => import("../console/server.js"), "orgctl serve");
      const { clockFromEnv } = await import("../console/service.js");
      let clock: ReturnType<typeof clockFromEnv>;
      try {
        clock = clockFromEnv();
      } catch (error) {
        throw new CliError("invalid_env", (error as Error).message);
      }
      const port = wholeNumber("--port", flags.port, 0, 65535);
      const start = startConsole({
        dbPath: flags.db,
        host: flags.host,
        port,
        clock,
        bootstrap,
        rateLimit: wholeNumber("--rate-limit", flags.rateLimit, 0, 1_000_000),
        bodyLimit: wholeNumber("--body-limit", flags.bodyLimit, 1024, 100 * 1024 * 1024),
        ...(faults ? { faults } : {}),
        ...(flags.partnerOrg ? { partnerOrg: flags.partnerOrg } : {}),
        ...(flags.accessLog ? { accessLog: (line: string) => process.stdout.write(`${line}\n`) } : {}),
      });
      const running = await withSqlite(() => start, "orgctl serve").catch((error: unknown) => {
        throw listenError(error, flags.host, port);
      });
      const org = running.service.state.org;
      process.stdout.write(
        `orgctl console listening on ${running.url} (db ${flags.db}, org "${org.name}", revision ${org.revision})\n`,
      );
      if (running.ownerToken && !process.env.ORGCTL_BOOTSTRAP_TOKEN) {
        process.stdout.write(
          `owner ${org.owner} API token (shown once, store it now): ${running.ownerToken}\n`,
        );
      }
      const stop = () => {
        running.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`orgctl serve: could not close cleanly: ${(error as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      // The console serves until a signal: the CLI must not exit when this action returns.
      keepRunning();
    });
}

const CATALOG_FILE = { what: "a catalog file", fix: "pass --catalog FILE with a JSON file" };

/** A catalog file: the same shape as the console's catalog (`API.catalog`). Checked enough that a typo cannot bootstrap a broken org. */
function readCatalog(path: string): Catalog {
  const text = readIn(path, CATALOG_FILE, 1024 * 1024).toString("utf8");
  let catalog: Catalog;
  try {
    catalog = JSON.parse(text) as Catalog;
  } catch {
    const found = firstJsonError(text) ?? { offset: 0, problem: "it cannot be read" };
    const before = text.slice(0, found.offset).split("\n");
    throw new CliError(
      "invalid_catalog",
      `${path}:${before.length}:${before[before.length - 1]!.length + 1}: the catalog is not valid JSON (${found.problem}); fix it`,
    );
  }
  const plansOk =
    Array.isArray(catalog?.plans) &&
    catalog.plans.every(
      (p) =>
        typeof p.name === "string" &&
        Number.isSafeInteger(p.price_cents) &&
        p.price_cents >= 0 &&
        Number.isSafeInteger(p.aliases),
    );
  const orgPlansOk =
    Array.isArray(catalog?.org_plans) &&
    catalog.org_plans.every(
      (p) =>
        typeof p.name === "string" &&
        // The org plan's yearly fee is optional (none means 0), and never negative.
        (p.price_cents === undefined || (Number.isSafeInteger(p.price_cents) && p.price_cents >= 0)) &&
        Number.isSafeInteger(p.paid_seats) &&
        Number.isSafeInteger(p.free_seats) &&
        Number.isSafeInteger(p.custom_domains),
    );
  if (!plansOk || !orgPlansOk) {
    throw new CliError(
      "invalid_catalog",
      `${path} must hold {plans: [{name, price_cents, aliases, storage_mb}], org_plans: [{name, price_cents?, paid_seats, free_seats, custom_domains}]}`,
    );
  }
  return { ...catalog, currency: "EUR", period_days: 365 };
}

/** A port that cannot be bound, said plainly with the fix; nothing was written to the database by then. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "EADDRINUSE") {
    return new CliError(
      "port_in_use",
      `port ${port} on ${host} is already in use (another console or program listens there); stop it, or ` +
        "pass --port N (--port 0 picks a free port). The database was not touched",
    );
  }
  if (code === "EACCES") {
    return new CliError(
      "port_denied",
      `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges); pass --port N ` +
        "with N of 1024 or more. The database was not touched",
    );
  }
  if (code === "EADDRNOTAVAIL") {
    return new CliError(
      "host_unavailable",
      `cannot listen on ${host}: no network interface has that address; pass --host 127.0.0.1 (or 0.0.0.0 ` +
        "for every interface). The database was not touched",
    );
  }
  return error;
}
