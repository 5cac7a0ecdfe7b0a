import { closeSync, fstatSync, openSync, readSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { OrgctlError } from "../errors.js";

/**
 * A file the user named could not be used. `code` is stable; `message` names the file and says what to do,
 * and never carries the operating system's own wording (EISDIR, stack frames).
 */
export class UserFileError extends OrgctlError {}

/** Where the file came from, for the sentence: "org.yaml", "the plan file", "--out". */
export interface UserFileRole {
  /** e.g. "the plan file" */
  what: string;
  /** What to do when the path is wrong, e.g. "check the path or pass -f FILE". */
  fix: string;
  /** What to do when the file is over the size limit. */
  tooLargeFix?: string;
}

/**
 * Reads a regular file of at most `maxBytes`. A directory, a FIFO or a device is refused before it is
 * opened for reading, so `/dev/zero` or a pipe cannot hang or exhaust memory.
 */
export function readUserFile(path: string, role: UserFileRole, maxBytes: number): Buffer {
  let fd: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw notAFile(path, role, stat.isDirectory());
    fd = openSync(path, "r");
  } catch (error) {
    throw toUserFileError(error, path, role);
  }
  try {
    const stat = fstatSync(fd);
    // Checked again on the open descriptor: the path may have been swapped since.
    if (!stat.isFile()) throw notAFile(path, role, stat.isDirectory());
    if (stat.size > maxBytes) {
      throw new UserFileError(
        "file_too_large",
        `${path} is ${stat.size} bytes; the limit is ${maxBytes} bytes, ${role.tooLargeFix ?? role.fix}`,
      );
    }
    // Read at most one byte past the limit, whatever the size said (the file may grow while read).
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, Math.max(stat.size, 0) + 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) break;
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) {
      throw new UserFileError(
        "file_too_large",
        `${path} is larger than the limit of ${maxBytes} bytes; ${role.tooLargeFix ?? role.fix}`,
      );
    }
    return buffer.subarray(0, length);
  } catch (error) {
    throw toUserFileError(error, path, role);
  } finally {
    closeSync(fd);
  }
}

/** Writes `text` to a file the user named (`--out`), with a plain error when the path cannot take it. */
export function writeUserFile(path: string, text: string, role: UserFileRole): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw toUserFileError(error, path, role, "write");
  }
}

/**
 * Refuses an output path that cannot take a file (a directory, a missing folder) before any work is done,
 * so that a long plan or import is not thrown away at the end.
 */
export function checkWritablePath(path: string, role: UserFileRole): void {
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) statSync(dirname(path));
  } catch (error) {
    throw toUserFileError(error, path, role, "write");
  }
  // A device such as /dev/stdout is a fine place to write to; only a directory cannot take a file.
  if (stat?.isDirectory()) throw notAFile(path, role, true);
}

function notAFile(path: string, role: UserFileRole, directory: boolean): UserFileError {
  return new UserFileError(
    "not_a_file",
    `${path} is ${directory ? "a directory" : "not a regular file"}, not ${role.what}; ${role.fix}`,
  );
}

/** The operating system's error as a stable code and a sentence; anything unknown keeps only its errno. */
export function toUserFileError(
  error: unknown,
  path: string,
  role: UserFileRole,
  action: "read" | "write" = "read",
): UserFileError {
  if (error instanceof UserFileError) return error;
  const errno = (error as NodeJS.ErrnoException | null)?.code;
  switch (errno) {
    case "ENOENT":
      return new UserFileError(
        "file_not_found",
        action === "read"
          ? `cannot read ${path}: no such file; ${role.fix}`
          : `cannot write ${path}: its folder does not exist; ${role.fix}`,
      );
    case "ENOTDIR":
      return new UserFileError(
        "file_not_found",
        `cannot use ${path}: ${dirname(path)} is not a directory; ${role.fix}`,
      );
    case "EISDIR":
      return notAFile(path, role, true);
    case "EACCES":
    case "EPERM":
      return new UserFileError(
        "permission_denied",
        `cannot use ${path}: permission denied; check the file's permissions or ${role.fix}`,
      );
    case "ENAMETOOLONG":
      return new UserFileError("file_not_found", `the path of ${role.what} is too long; ${role.fix}`);
    default:
      return new UserFileError(
        "file_unreadable",
        `cannot ${action} ${path} as ${role.what}${errno ? ` (${errno})` : ""}; ${role.fix}`,
      );
  }
}
