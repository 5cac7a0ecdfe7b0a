import type { Command } from "commander";
import { BULK_MAX_LOGINS } from "../api/bulk-actions.js";
import { API } from "../api/routes.js";
import type { BulkResult } from "../api/wire.js";
// The console's Login pattern (schemas/console-api.yaml, components.schemas.Login), from the rule book.
import { LOGIN } from "../domain/rules.js";
import { CliError } from "./errors.js";
import { TARGET_HELP } from "./plan.js";
import { endpointOption, fileOption, openTargetNextTo, sandboxOption, type TargetFlags } from "./target.js";

/** Checks the logins as the console would and drops repeats (keeping the first), or throws a CliError. */
export function checkLogins(raw: string[]): string[] {
  const logins: string[] = [];
  for (const login of raw) {
    if (!LOGIN.test(login)) {
      const hint = LOGIN.test(login.toLowerCase()) ? `; logins are lower case: ${login.toLowerCase()}` : "";
      throw new CliError(
        "invalid_login",
        `${JSON.stringify(login)} is not a login (1 to 64 of a-z, 0-9, '.', '_', '-', ` +
          `starting and ending with a letter or digit)${hint}`,
      );
    }
    if (!logins.includes(login)) logins.push(login);
  }
  if (logins.length === 0) throw new CliError("invalid_argument", "name at least one LOGIN to log out");
  if (logins.length > BULK_MAX_LOGINS) {
    throw new CliError(
      "invalid_argument",
      `the console logs out at most ${BULK_MAX_LOGINS} users at once (got ${logins.length}); split the list`,
    );
  }
  return logins;
}

export function registerLogout(program: Command): void {
  program
    .command("logout")
    .description("force-log-out users: end every login session of each LOGIN at once (API tokens stay)")
    .argument("<login...>", "the users to log out")
    .addOption(fileOption())
    .addOption(endpointOption())
    .addOption(sandboxOption())
    .addHelpText(
      "after",
      `
All or nothing: if the console refuses any one user (unknown login, not allowed, the owner), nobody is
logged out. Only the owner may log out the owner (owner_protected otherwise).
${TARGET_HELP}

Exit codes:
  0  every user was logged out
  1  error: invalid login, refused by the console (e.g. not_found, forbidden, owner_protected),
     unreachable console`,
    )
    .action(async (rawLogins: string[], flags: TargetFlags) => {
      const logins = checkLogins(rawLogins);
      const target = await openTargetNextTo(flags);
      const { randomUUID } = await import("node:crypto");
      try {
        const result = await target.client.request<BulkResult>(API.usersBulk.method, API.usersBulk.path, {
          body: { action: "logout", logins },
          // Safe to retry: a replay answers from the console's idempotency store with no second effect.
          idempotencyKey: `orgctl-logout-${randomUUID()}`,
        });
        const done = Array.isArray(result.body?.logins) ? result.body.logins : logins;
        process.stdout.write(`Logged out ${done.length} user(s) on ${target.label}: ${done.join(", ")}\n`);
      } finally {
        await target.close();
      }
    });
}
