import type { Command } from "commander";
import { CliError } from "./errors.js";

/** `--inactive-days`: the README and `--help` say 90 by default. */
const DEFAULT_INACTIVE_DAYS = 90;
const MAX_INACTIVE_DAYS = 3650;

/** `--inactive-days N`: a whole number of days, 1 to 3650. */
export function parseInactiveDays(raw: string): number {
  const value = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_INACTIVE_DAYS) {
    throw new CliError(
      "invalid_flag",
      `--inactive-days must be a whole number of days from 1 to ${MAX_INACTIVE_DAYS} (got ${raw})`,
    );
  }
  return value;
}

export function inactiveDaysOption(command: Command): Command {
  return command.option(
    "--inactive-days <n>",
    "name paid seats with no login, and invitations pending, for this many days (1 to 3650)",
    String(DEFAULT_INACTIVE_DAYS),
  );
}
