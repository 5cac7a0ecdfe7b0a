import type { Command } from "commander";
import { API } from "../api/routes.js";
import type { OrgInfo, UserInfo } from "../client/console-client.js";
import type { Catalog } from "../domain/catalog.js";
import { inactiveDaysOption, parseInactiveDays } from "./inactive-days.js";
import { parseFormat, TARGET_HELP } from "./plan.js";
import { endpointOption, fileOption, openTargetNextTo, sandboxOption, type TargetFlags } from "./target.js";

interface UsersFlags extends TargetFlags {
  file: string;
  format: string;
  inactiveDays: string;
}

export function registerUsers(program: Command): void {
  const command = program
    .command("users")
    .description(
      "report every user with plan, role, status, last login and yearly cost, and the seats worth removing",
    )
    .option("--format <format>", "text, json or markdown", "text");
  inactiveDaysOption(command)
    .addOption(fileOption())
    .addOption(endpointOption())
    .addOption(sandboxOption())
    .addHelpText(
      "after",
      `
Read-only. Users are sorted by login; yearly costs are the plans' prices in the console's catalog. Seats to
review: users on a paid plan (active or disabled, not the owner) with no login for --inactive-days whole
days (counted from the account's creation for a user who never logged in), and invitations pending that
long; with the yearly money that downgrading them to a free plan or removing them would save, and the
total. Days are counted on the console's clock.
${TARGET_HELP}

Exit codes:
  0  shown (seats to review do not change the exit code)
  1  error: bad flag, unreachable console, refused by the console (e.g. forbidden for a member)`,
    )
    .action(async (flags: UsersFlags) => {
      const format = parseFormat(flags.format, ["text", "json", "markdown"]);
      const inactiveDays = parseInactiveDays(flags.inactiveDays);
      const { reviewSeats } = await import("../plan/seat-review.js");
      const { renderUsersJson, renderUsersMarkdown, renderUsersText } = await import(
        "../render/users-report.js"
      );
      const target = await openTargetNextTo(flags);
      try {
        const client = target.client;
        const [org, catalog, users] = await Promise.all([
          client.request<OrgInfo>(API.org.method, API.org.path),
          client.request<Catalog>(API.catalog.method, API.catalog.path),
          client.listAll<UserInfo>(API.users.path),
        ]);
        const review = reviewSeats(users, catalog.body, org.body.owner, new Date(org.body.now), inactiveDays);
        const head = { target: target.label, org: org.body.name, org_plan: org.body.plan };
        const render =
          format === "json" ? renderUsersJson : format === "markdown" ? renderUsersMarkdown : renderUsersText;
        process.stdout.write(render(review, head));
      } finally {
        await target.close();
      }
    });
}
