import { statSync } from "node:fs";
import {
  checkWritablePath,
  readUserFile,
  UserFileError,
  type UserFileRole,
  writeUserFile,
} from "../config/user-file.js";
import { CliError } from "./errors.js";

export const PLAN_OUT: UserFileRole = {
  what: "a file to save the plan to",
  fix: "pass --out FILE with a file name",
};

/** `checkWritablePath` with the CLI's error. */
export function checkOutPath(path: string, role: UserFileRole): void {
  cliErrors(() => checkWritablePath(path, role));
}

/** A database path (created when missing) must not be a directory: SQLite's own words say nothing useful. */
export function refuseDirectory(path: string, role: UserFileRole): void {
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new CliError("not_a_file", `${path} is a directory, not ${role.what}; ${role.fix}`);
  }
}

/** `writeUserFile` with the CLI's error. */
export function writeOut(path: string, text: string, role: UserFileRole): void {
  cliErrors(() => writeUserFile(path, text, role));
}

/** `readUserFile` with the CLI's error. */
export function readIn(path: string, role: UserFileRole, maxBytes: number): Buffer {
  return cliErrors(() => readUserFile(path, role, maxBytes));
}

function cliErrors<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof UserFileError) throw new CliError(error.code, error.message);
    throw error;
  }
}
