import { ConfigInvalidError } from "../model.js";
import { readUserFile, UserFileError } from "../user-file.js";
import { issueAt } from "./issue.js";

/** Larger files are refused before parsing, so a hostile file cannot exhaust memory or time. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/** The file's bytes, within the size cap; a missing or unreadable file is a located issue. */
export function readChecked(file: string): Buffer {
  try {
    return readUserFile(
      file,
      {
        what: "an org.yaml file",
        fix: "check the path or pass -f FILE",
        tooLargeFix: "split the organization or trim the file",
      },
      MAX_CONFIG_BYTES,
    );
  } catch (error) {
    if (!(error instanceof UserFileError)) throw error;
    throw new ConfigInvalidError([issueAt(file, 1, 1, error.code, error.message, "")]);
  }
}

/** The file's text; bytes that are not UTF-8 are a located issue at the first of them. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const { line, col } = firstInvalidUtf8(bytes);
    throw new ConfigInvalidError([
      issueAt(file, line, col, "invalid_utf8", "the file is not valid UTF-8; save it as UTF-8", ""),
    ]);
  }
}

function firstInvalidUtf8(bytes: Uint8Array): { line: number; col: number } {
  // Find the longest valid prefix, then count lines in it.
  let lo = 0;
  let hi = bytes.length;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    try {
      decoder.decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  const prefix = new TextDecoder().decode(bytes.subarray(0, lo));
  const lines = prefix.split("\n");
  return { line: lines.length, col: lines[lines.length - 1]!.length + 1 };
}
