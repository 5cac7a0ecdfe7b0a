import { existsSync } from "node:fs";
import type { Command } from "commander";
import { CliError } from "./errors.js";
import { refuseDirectory } from "./files.js";
import { withSqlite } from "./sqlite.js";

interface OwnerTokenFlags {
  db: string;
  org: string;
  name: string;
  expiresInDays: string;
}

export function registerOwnerToken(program: Command): void {
  program
    .command("owner-token")
    .description(
      "issue an API token for an organization's owner, as the console's operator (reads the console's database file)",
    )
    .requiredOption("--org <slug>", "the organization whose owner gets the token")
    .option(
      "--db <file>",
      "the console's SQLite database file (env ORGCTL_DB)",
      process.env.ORGCTL_DB ?? ".orgctl/console.db",
    )
    .option("--name <name>", "the token's name, shown by GET tokens and in the audit log", "owner")
    .option("--expires-in-days <n>", "how long the token lives, 1 to 365 days", "90")
    .addHelpText(
      "after",
      `
An organization a partner creates has an owner with no credential, and nobody over HTTP may
obtain one for the owner. Whoever holds the database file already holds every right in it, so this command
gives the owner their first token: it prints the token alone on stdout (shown only now; it is stored hashed)
and what it issued on stderr. It works while orgctl serve runs. The organization's audit log records it as
issue_token by the system.`,
    )
    .action(async (flags: OwnerTokenFlags) => {
      const days = Number(flags.expiresInDays);
      if (!Number.isInteger(days) || days < 1 || days > 365) {
        throw new CliError(
          "invalid_flag",
          `--expires-in-days must be a whole number from 1 to 365 (got ${flags.expiresInDays})`,
        );
      }
      if (flags.name.length < 1 || flags.name.length > 100) {
        throw new CliError(
          "invalid_flag",
          "--name must be 1 to 100 characters, as the API's token names are",
        );
      }
      refuseDirectory(flags.db, {
        what: "a database file",
        fix: "pass --db FILE with the console's database",
      });
      if (!existsSync(flags.db)) {
        throw new CliError(
          "no_database",
          `${flags.db} does not exist; pass --db with the database file that orgctl serve uses`,
        );
      }
      const { ConsoleStore } = await withSqlite(() => import("../console/store.js"), "orgctl owner-token");
      const { issueOwnerToken } = await import("../console/operator-token.js");
      const { ApiError } = await import("../console/errors.js");
      const { clockFromEnv } = await import("../console/service.js");
      const store = new ConsoleStore(flags.db);
      try {
        if (store.isEmpty()) {
          throw new CliError(
            "no_database",
            `${flags.db} holds no organization yet; start orgctl serve with it first`,
          );
        }
        const issued = await issueOwnerToken(store, clockFromEnv(), {
          slug: flags.org,
          name: flags.name,
          days,
        });
        process.stdout.write(`${issued.token}\n`);
        process.stderr.write(
          `issued API token ${issued.id} (${issued.name}) for ${issued.login}, the owner of ${issued.org}; it expires ${issued.expires_at} and is shown only now\n`,
        );
      } catch (error) {
        if (error instanceof ApiError) {
          const slugs = (error.details as { slugs?: string[] } | undefined)?.slugs;
          const known = slugs ? ` (organizations here: ${slugs.join(", ")})` : "";
          throw new CliError(
            error.code === "not_found" ? "unknown_org" : error.code,
            `${error.message}${known}`,
          );
        }
        throw error;
      } finally {
        store.close();
      }
    });
}
