import { createHash } from "node:crypto";
import type { PathSegment } from "./load/locate.js";
import { normalize, type RawConfig } from "./load/normalize.js";
import { type ParsedYaml, parseYamlText } from "./load/parse.js";
import { decodeUtf8, MAX_CONFIG_BYTES, readChecked } from "./load/read.js";
import { validateShape } from "./load/schema-issues.js";
import { ConfigInvalidError, type ConfigIssue, type DesiredOrg } from "./model.js";

/*
 * Loading org.yaml, stage by stage (src/config/load/): read the bytes within their cap (read.ts), guard
 * against hostile files (guards.ts), parse the YAML with positions (parse.ts, locate.ts), check the schema
 * with plain, located issues (schema-issues.ts), and normalize into the desired organization (normalize.ts).
 */

export {
  duplicateKeys,
  firstTooDeep,
  MAX_ALIAS_COUNT,
  MAX_FLOW_DEPTH,
  MAX_NESTING_DEPTH,
  MAX_YAML_NODES,
} from "./load/guards.js";
export { locatePath, type PathSegment } from "./load/locate.js";
export {
  EXACT_PLACE_BYTES,
  type ParsedYaml,
  parseYamlText,
  readWithYaml,
  WHOLE_READ_MAX_BYTES,
  yamlIssue,
} from "./load/parse.js";
export { ConfigInvalidError, MAX_CONFIG_BYTES };

export interface LoadedConfig {
  file: string;
  desired: DesiredOrg;
  /** sha256 of the file's bytes: a saved plan records it to detect a changed file. */
  hash: string;
  warnings: ConfigIssue[];
  /** The file's value as parsed, before defaults and normalization (to point at original list positions). */
  raw: unknown;
  /** Line and column of a value, for errors found after loading (offline checks, plan errors). */
  locate(path: PathSegment[]): { line: number; col: number };
}

/** Reads and checks a config file. Throws ConfigInvalidError with located issues; never a stack trace. */
export function loadConfig(file: string): LoadedConfig {
  return parseConfig(readChecked(file), file);
}

/** Parses config bytes. Pure apart from reading the bundled JSON Schema once. */
export function parseConfig(bytes: Uint8Array, file: string): LoadedConfig {
  const hash = createHash("sha256").update(bytes).digest("hex");
  const text = decodeUtf8(bytes, file);
  return finishConfig(parseYamlText(text, file), file, hash);
}

/**
 * `loadConfig` for callers that read the console meanwhile. One parse on this thread: worker threads saved
 * little wall time for their CPU (and split the value cap per half), and the fast reader made them moot.
 */
export async function loadConfigAsync(file: string): Promise<LoadedConfig> {
  return loadConfig(file);
}

function finishConfig(parsed: ParsedYaml, file: string, hash: string): LoadedConfig {
  const { value } = parsed;
  const locate = (path: PathSegment[]) => parsed.locate(path);
  const locateKey = (path: PathSegment[]) => parsed.locate(path, true);
  const schemaIssues = validateShape(value, file, locate, locateKey);
  if (schemaIssues.length > 0) throw new ConfigInvalidError(schemaIssues);
  const desired = normalize(value as RawConfig);
  return { file, desired, hash, warnings: [], raw: value, locate };
}
