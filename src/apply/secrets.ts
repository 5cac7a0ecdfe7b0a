import { isAbsolute, join } from "node:path";
import type { SecretRef } from "../config/model.js";
import { readUserFile, UserFileError } from "../config/user-file.js";
import { OrgctlError } from "../errors.js";

const MAX_PASSWORD_FILE_BYTES = 64 * 1024;
const PASSWORD_FILE = { what: "a password file", fix: "check the path in org.yaml" };

export class SecretMissingError extends OrgctlError<"secret_missing"> {
  constructor(message: string) {
    super("secret_missing", message);
  }
}

/**
 * Reads a password at the moment a step needs it. `{file}` is relative to org.yaml's folder. The value is
 * returned to the caller only; it is never logged, stored or put in an error message.
 */
export function resolveSecret(ref: SecretRef, baseDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.env !== undefined) {
    const value = env[ref.env];
    if (value === undefined || value === "")
      throw new SecretMissingError(`environment variable ${ref.env} is not set; export it before apply`);
    return value;
  }
  const path = isAbsolute(ref.file!) ? ref.file! : join(baseDir, ref.file!);
  let value: string;
  try {
    // A regular file of at most 64 KiB: a FIFO or /dev/zero named by mistake must not hang apply.
    value = readUserFile(path, PASSWORD_FILE, MAX_PASSWORD_FILE_BYTES)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  } catch (error) {
    const why = error instanceof UserFileError && error.code !== "file_not_found" ? ` (${error.code})` : "";
    throw new SecretMissingError(`cannot read the password file ${path}${why}; check the path in org.yaml`);
  }
  if (!value) throw new SecretMissingError(`the password file ${path} is empty`);
  return value;
}
