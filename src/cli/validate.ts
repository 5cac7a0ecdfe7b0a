import type { Command } from "commander";
import { formatIssue } from "../config/model.js";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description(
      "check org.yaml offline: syntax, schema, uniqueness, reserved addresses, domains, groups, admins, limits",
    )
    .option("-f, --file <file>", "the desired state", "org.yaml")
    .addHelpText(
      "after",
      `
Checks limits against the console's default catalog; \`orgctl plan\` checks them again against the live one.

Exit codes:
  0  valid (warnings may be printed)
  1  invalid: each problem is printed as file:line:col code: message`,
    )
    .action(async (flags: { file: string }) => {
      const { loadChecked } = await import("./config-io.js");
      const { config, warnings } = loadChecked(flags.file);
      for (const warning of warnings) process.stderr.write(`${formatIssue(warning)}\n`);
      const d = config.desired;
      process.stdout.write(
        `${flags.file} is valid: ${count(d.users.length, "user")}, ${count(d.groups.length, "group")}, ${count(d.domains.length, "domain")}.\n`,
      );
    });
}

const count = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
