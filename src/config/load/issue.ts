import type { ConfigIssue } from "../model.js";

/** One located problem of a config file, as every stage of loading reports it. */
export function issueAt(
  file: string,
  line: number,
  col: number,
  code: string,
  message: string,
  path: string,
): ConfigIssue {
  return { file, line, col, code, message, path, severity: "error" };
}
