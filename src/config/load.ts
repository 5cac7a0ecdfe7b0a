import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import {
  Composer,
  type CST,
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  YAMLParseError,
} from "yaml";
import { normalizeAddress } from "../domain/addresses.js";
import type { ProfileField, Role } from "../domain/model.js";
import { packageRoot } from "../package-root.js";
import { fastRead } from "./fast-yaml.js";
import {
  ConfigInvalidError,
  type ConfigIssue,
  DEFAULT_POLICY,
  type DesiredOrg,
  type DesiredUser,
  type Policy,
  type SecretRef,
} from "./model.js";
import { closest } from "./suggest.js";
import { readUserFile, UserFileError } from "./user-file.js";
import { aliasBombRefusal, firstUnknownAlias, unknownAliasRefusal } from "./yaml-aliases.js";

/** Larger files are refused before parsing, so a hostile file cannot exhaust memory or time. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
/**
 * A parsed YAML value costs far more memory than its text: at most this many values (about 30,000 users),
 * so that a small file of tiny values cannot exhaust memory either.
 */
export const MAX_YAML_NODES = 300_000;
/** Flow collections nested deeper than this are refused before parsing (the parser recurses). */
export const MAX_FLOW_DEPTH = 64;
/**
 * Collections of any style (block or flow) nested deeper than this are refused after tokenizing and before
 * composing, which recurses once per level. org.yaml itself needs 4.
 */
export const MAX_NESTING_DEPTH = 64;
/** More alias expansions than this is a "billion laughs" bomb. */
export const MAX_ALIAS_COUNT = 1000;

export { ConfigInvalidError };

export type PathSegment = string | number;

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

let validator: ValidateFunction | null = null;

function compiledSchema(): ValidateFunction {
  if (validator) return validator;
  // The build compiles the schema ahead of time (scripts/compile-validators.mjs); from source, compile now.
  try {
    validator = createRequire(import.meta.url)("./org-schema-validator.cjs") as ValidateFunction;
    return validator;
  } catch {
    // not built: fall through
  }
  const schema = JSON.parse(
    readFileSync(join(packageRoot(), "schemas", "org.schema.json"), "utf8"),
  ) as Record<string, unknown>;
  const { Ajv2020 } = createRequire(import.meta.url)("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: false });
  validator = ajv.compile(schema);
  return validator;
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

function readChecked(file: string): Buffer {
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

function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const { line, col } = firstInvalidUtf8(bytes);
    throw new ConfigInvalidError([
      issueAt(file, line, col, "invalid_utf8", "the file is not valid UTF-8; save it as UTF-8", ""),
    ]);
  }
}

export interface ParsedYaml {
  value: unknown;
  /** Position of the value at `path` (or of its key, `atKey`), or of the deepest existing parent. */
  locate(path: PathSegment[], atKey?: boolean): { line: number; col: number };
}

/**
 * Up to this size a too_deep refusal that the fast reader can only place near its cause is placed exactly by
 * `yaml`; a larger file gets the near place, so that every file within the caps is answered quickly.
 */
export const EXACT_PLACE_BYTES = 256 * 1024;

/**
 * YAML text → plain value, with positions worked out only when asked. The fast reader (fast-yaml.ts) reads
 * what it composes exactly as `yaml` does, and refuses duplicate keys and deep nesting with `yaml`'s issues;
 * anything else (tags, directives, a syntax error, an alias inside its own anchor) is read by `yaml`.
 * Throws located issues.
 */
export function parseYamlText(text: string, file: string): ParsedYaml {
  checkCaps(text, file);
  const fast = fastRead(text, MAX_NESTING_DEPTH, MAX_ALIAS_COUNT);
  if (fast.kind === "ok") {
    let full: ReturnType<typeof readWithYaml> | null = null;
    return {
      value: fast.value,
      locate: (path, atKey = false) => {
        const position = fast.locate(path, atKey);
        if (position) return position;
        full ??= readWithYaml(text, file);
        return locatePath(full.doc, path, full.locateOffset, atKey);
      },
    };
  }
  if (
    fast.kind === "invalid" &&
    (text.length > EXACT_PLACE_BYTES || fast.issues.every((i) => !i.approximate))
  ) {
    throw new ConfigInvalidError(
      fast.issues.map((issue) => issueAt(file, issue.line, issue.col, issue.code, issue.message, "")),
    );
  }
  const { value, doc, locateOffset } = readWithYaml(text, file);
  return { value, locate: (path, atKey = false) => locatePath(doc, path, locateOffset, atKey) };
}

/** The caps every path checks the same way, before any parser runs: value count and flow nesting. */
function checkCaps(text: string, file: string): void {
  const { count: nodes, depth } = estimateNodes(text);
  if (depth > MAX_FLOW_DEPTH) {
    throw new ConfigInvalidError([
      issueAt(
        file,
        1,
        1,
        "too_deep",
        `the file nests [ ] or { } ${depth} levels deep; the limit is ${MAX_FLOW_DEPTH}, flatten it`,
        "",
      ),
    ]);
  }
  if (nodes > MAX_YAML_NODES) {
    throw new ConfigInvalidError([
      issueAt(
        file,
        1,
        1,
        "file_too_large",
        `${file} holds about ${nodes} YAML values; the limit is ${MAX_YAML_NODES}, split the organization or trim the file`,
        "",
      ),
    ]);
  }
}

/** The reference reader: `yaml`'s parser and composer, with located errors. */
export function readWithYaml(
  text: string,
  file: string,
): { value: unknown; doc: Document; locateOffset: (offset: number) => { line: number; col: number } } {
  const lineCounter = new LineCounter();
  const locateOffset = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
  let doc: Document;
  try {
    let tokens: CST.Token[] | null = [...new Parser(lineCounter.addNewLine).parse(text)];
    const deep = firstTooDeep(tokens, MAX_NESTING_DEPTH);
    if (deep !== null) {
      const { line, col } = locateOffset(deep);
      throw new ConfigInvalidError([
        issueAt(
          file,
          line,
          col,
          "too_deep",
          `collections here are nested more than ${MAX_NESTING_DEPTH} levels deep; flatten the file`,
          "",
        ),
      ]);
    }
    doc = composeOne(tokens, text.length);
    // The syntax tree is garbage now: let it go before toJS doubles the memory again.
    tokens = null;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ConfigInvalidError([
      issueAt(file, 1, 1, "too_deep", "the file nests collections too deeply to read; flatten it", ""),
    ]);
  }
  // The parser's own duplicate check is quadratic in a mapping's size; ours is linear (duplicateKeys).
  const issues = [
    ...doc.errors.map((error) => yamlIssue(file, error, locateOffset)),
    ...duplicateKeys(doc).map(({ offset, key, first }) => {
      const { line, col } = locateOffset(offset);
      const firstAt = locateOffset(first);
      return issueAt(
        file,
        line,
        col,
        "duplicate_key",
        `the key ${key} appears twice in this mapping (first at line ${firstAt.line}); keep one of them`,
        "",
      );
    }),
  ];
  if (issues.length > 0) {
    throw new ConfigInvalidError(issues.sort((a, b) => a.line - b.line || a.col - b.col));
  }
  const unknown = firstUnknownAlias(doc);
  if (unknown) {
    const { line, col } = locateOffset(unknown.offset);
    const { code, message } = unknownAliasRefusal(unknown.name);
    throw new ConfigInvalidError([issueAt(file, line, col, code, message, "")]);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    const { code, message } = aliasBombRefusal(MAX_ALIAS_COUNT);
    throw new ConfigInvalidError([issueAt(file, 1, 1, code, message, "")]);
  }
  return { value, doc, locateOffset };
}

/** An upper bound of the values in a YAML text, in one pass over its characters: lines plus flow separators. */
function estimateNodes(text: string): { count: number; depth: number } {
  let count = 1;
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 44) count++;
    else if (c === 91 || c === 123) {
      count++;
      depth++;
      if (depth > deepest) deepest = depth;
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return { count, depth: deepest };
}

/** The one document of a YAML text, as `parseDocument` composes it, but without the quadratic key check. */
function composeOne(tokens: CST.Token[], length: number): Document {
  const composer = new Composer({ uniqueKeys: false, prettyErrors: false, strict: true });
  let doc: Document | null = null;
  for (const next of composer.compose(tokens, true, length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(
        new YAMLParseError(
          [next.range[0], next.range[1]],
          "MULTIPLE_DOCS",
          "the file holds more than one YAML document (a second ---)",
        ),
      );
      break;
    }
  }
  return doc!;
}

/**
 * The offset of the first collection nested deeper than `max` (block or flow), walking the parser's tokens
 * without recursion; null when none is. Composing a deeper document recurses until the stack runs out.
 */
export function firstTooDeep(tokens: CST.Token[], max: number): number | null {
  // Two parallel stacks, and only collections on them: a list of 200,000 scalars allocates nothing.
  const pending: CST.Token[] = [];
  const depths: number[] = [];
  for (const token of tokens) {
    if (token.type === "document" && token.value) {
      pending.push(token.value);
      depths.push(0);
    }
  }
  while (pending.length > 0) {
    const token = pending.pop()!;
    const inner = depths.pop()! + 1;
    if (token.type !== "block-map" && token.type !== "block-seq" && token.type !== "flow-collection")
      continue;
    if (inner > max) return token.offset;
    for (const item of token.items as { key?: CST.Token | null; value?: CST.Token }[]) {
      const { key, value } = item;
      if (key && isCollectionToken(key)) {
        pending.push(key);
        depths.push(inner);
      }
      if (value && isCollectionToken(value)) {
        pending.push(value);
        depths.push(inner);
      }
    }
  }
  return null;
}

function isCollectionToken(token: CST.Token): boolean {
  return token.type === "block-map" || token.type === "block-seq" || token.type === "flow-collection";
}

/**
 * Duplicate keys in every mapping of the document, in one pass: a key is a duplicate when it is a scalar
 * whose value is `===` to an earlier key's in the same mapping. That is `yaml`'s own `uniqueKeys` rule, so
 * `1` and `"1"` differ, `1` and `1.0` (both the number 1) or `~` and `null` do not, and a non-scalar key
 * (a mapping, a sequence, an alias) never collides. Positions are offsets of the repeated key.
 */
export function duplicateKeys(doc: Document): { offset: number; key: string; first: number }[] {
  const found: { offset: number; key: string; first: number }[] = [];
  const pending: unknown[] = [doc.contents];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isMap(node)) {
      const seen = new Map<unknown, number>();
      for (const pair of node.items) {
        pending.push(pair.key, pair.value);
        const key = pair.key;
        if (!isScalar(key)) continue;
        const value = key.value;
        // Objects (a timestamp) compare by identity, and NaN equals nothing: neither can collide.
        if ((typeof value === "object" && value !== null) || Number.isNaN(value)) continue;
        const offset = key.range?.[0] ?? 0;
        const first = seen.get(value);
        if (first === undefined) seen.set(value, offset);
        else found.push({ offset, key: JSON.stringify(String(value)), first });
      }
    } else if (isSeq(node)) {
      for (const item of node.items) pending.push(item);
    } else if (isPair(node)) {
      pending.push(node.key, node.value);
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
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

function issueAt(
  file: string,
  line: number,
  col: number,
  code: string,
  message: string,
  path: string,
): ConfigIssue {
  return { file, line, col, code, message, path, severity: "error" };
}

export function yamlIssue(
  file: string,
  error: YAMLParseError,
  locate: (offset: number) => { line: number; col: number },
): ConfigIssue {
  const { line, col } = error.linePos?.[0] ?? locate(error.pos[0]);
  if (error.code === "DUPLICATE_KEY") {
    return issueAt(file, line, col, "duplicate_key", "this key appears twice; keep one of them", "");
  }
  // The parser catches what its own code throws (a stack overflow, a tag resolver's TypeError) and reports
  // the JavaScript message as a YAML error: never show that, say what to do instead.
  if (error.code === "RESOURCE_EXHAUSTION") {
    return issueAt(
      file,
      line,
      col,
      "too_deep",
      "this part of the file is nested too deeply or is too large to read; flatten it",
      "",
    );
  }
  const message = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  if (ENGINE_MESSAGE.test(message)) {
    return issueAt(file, line, col, "yaml_syntax", "this value cannot be read as YAML; rewrite it", "");
  }
  return issueAt(file, line, col, "yaml_syntax", `${message}; fix the YAML syntax`, "");
}

/** Messages of the JavaScript engine (RangeError, TypeError), as opposed to the YAML parser's own. */
const ENGINE_MESSAGE =
  /call stack|Invalid (array|string|typed array) length|out of memory|allocation failed|is not (a function|a constructor|defined|iterable)|Cannot (read|set|convert|access)|of (undefined|null)|RangeError|TypeError|SyntaxError|ReferenceError/i;

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

/** Finds the node at `path` (or the deepest existing parent) and returns its position. */
export function locatePath(
  doc: Document,
  path: PathSegment[],
  locate: (offset: number) => { line: number; col: number },
  atKey = false,
): { line: number; col: number } {
  let node: unknown = doc.contents;
  let position = node && (node as Node).range ? locate((node as Node).range![0]) : { line: 1, col: 1 };
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      const key = pair.key as Node;
      node = pair.value;
      const last = segment === path[path.length - 1];
      const target = (atKey && last) || !(node as Node | null)?.range ? key : (node as Node);
      if (target.range) position = locate(target.range[0]);
    } else if (
      node &&
      typeof node === "object" &&
      "items" in node &&
      Array.isArray((node as { items: unknown[] }).items)
    ) {
      const item = (node as { items: unknown[] }).items[Number(segment)];
      if (!item) break;
      node = item;
      if ((node as Node).range) position = locate((node as Node).range![0]);
    } else {
      break;
    }
  }
  return position;
}

function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function validateShape(
  value: unknown,
  file: string,
  locate: (path: PathSegment[]) => { line: number; col: number },
  locateKey: (path: PathSegment[]) => { line: number; col: number },
): ConfigIssue[] {
  const validate = compiledSchema();
  if (validate(value)) return [];
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const issue = schemaIssue(error, value);
    if (!issue) continue;
    const key = `${issue.path}|${issue.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // A password problem is reported once, at the password.
    if (
      issue.path.includes("/password/") &&
      seen.has(`${issue.path.replace(/\/password\/.*$/, "/password")}|password_invalid`)
    )
      continue;
    const { line, col } =
      issue.code === "unknown_field"
        ? locateKey(pointerToPath(issue.path))
        : locate(pointerToPath(issue.path));
    issues.push({ file, line, col, severity: "error", ...issue });
  }
  return issues.sort((a, b) => a.line - b.line || a.col - b.col);
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const segment of pointerToPath(pointer)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function schemaIssue(
  error: ErrorObject,
  root: unknown,
): { code: string; message: string; path: string } | null {
  const path = error.instancePath;
  const where = path || "the file";
  // Passwords: one clear message instead of the oneOf branches' noise.
  const passwordMatch = /^(\/users\/\d+\/password)(\/.*)?$/.exec(path);
  if (passwordMatch) {
    const base = passwordMatch[1]!;
    const value = valueAt(root, base);
    if (typeof value === "string" || typeof value === "number") {
      return {
        code: "password_literal",
        message:
          "a password is never written in org.yaml; use {env: VARIABLE} or {file: path} (plus an optional rotation label)",
        path: base,
      };
    }
    return {
      code: "password_invalid",
      message:
        "password must be {env: VARIABLE} or {file: path}, with an optional rotation label, and nothing else",
      path: base,
    };
  }
  switch (error.keyword) {
    case "additionalProperties": {
      const field = String(error.params.additionalProperty);
      const allowed = Object.keys(
        (error.parentSchema as { properties?: Record<string, unknown> })?.properties ?? {},
      );
      const suggestion = closest(field, allowed);
      return {
        code: "unknown_field",
        message: `unknown field "${field}"${suggestion ? `; did you mean "${suggestion}"?` : `; allowed here: ${allowed.join(", ")}`}`,
        path: `${path}/${field}`,
      };
    }
    case "required":
      return {
        code: "missing_field",
        message: `${where} needs "${String(error.params.missingProperty)}"`,
        path,
      };
    case "type":
      return { code: "wrong_type", message: `${where} must be ${String(error.params.type)}`, path };
    case "enum":
      return {
        code: "invalid_value",
        message: `${where} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
        path,
      };
    case "const":
      return {
        code: "invalid_value",
        message: `${where} must be ${JSON.stringify(error.params.allowedValue)}`,
        path,
      };
    case "pattern": {
      const value = valueAt(root, path);
      const shown = typeof value === "string" ? `${JSON.stringify(value)} ` : "";
      const form = PATTERN_WORDS[String(error.params.pattern)] ?? "in the expected form";
      const lower =
        typeof value === "string" && value !== value.toLowerCase()
          ? `; use lower case: ${value.toLowerCase()}`
          : "";
      return { code: "invalid_value", message: `${where}: ${shown}is not ${form}${lower}`, path };
    }
    case "oneOf":
    case "anyOf":
    case "if":
      return null;
    default:
      return { code: "invalid_value", message: `${where} ${error.message ?? "is not valid"}`, path };
  }
}

/** The schema's patterns in plain words, so that nobody has to read a regular expression. */
const PATTERN_WORDS: Record<string, string> = {
  "^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$":
    "1 to 64 lower-case letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
  "^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$":
    "a domain name in lower case, such as example.org",
  "^[^@\\s]+@[^@\\s]+$": "an email address such as name@example.org",
  "^[A-Za-z_][A-Za-z0-9_]*$":
    "an environment variable name (letters, digits and _, not starting with a digit)",
  "^\\d{4}-\\d{2}-\\d{2}$": "a date written YYYY-MM-DD",
};

interface RawUser {
  login: string;
  first_name: string;
  last_name: string;
  email: string;
  plan: string;
  role?: Role;
  status?: "active" | "disabled";
  owner?: boolean;
  protected?: boolean;
  aliases?: string[];
  groups?: string[];
  profile?: Partial<Record<ProfileField, string>>;
  password?: { env?: string; file?: string; rotation?: string };
}

interface RawConfig {
  version: 1;
  organization: { name: string; plan?: string; provider_domain?: string };
  policy?: Partial<Omit<Policy, "unlisted" | "removal_threshold">> & {
    unlisted?: Partial<Policy["unlisted"]>;
    removal_threshold?: Partial<Policy["removal_threshold"]>;
  };
  domains?: { name: string }[];
  groups?: { name: string; description?: string; previously?: string[] }[];
  users?: RawUser[];
}

function normalize(raw: RawConfig): DesiredOrg {
  const policy: Policy = {
    removed_users: raw.policy?.removed_users ?? DEFAULT_POLICY.removed_users,
    unlisted: { ...DEFAULT_POLICY.unlisted, ...(raw.policy?.unlisted ?? {}) },
    removal_threshold: { ...DEFAULT_POLICY.removal_threshold, ...(raw.policy?.removal_threshold ?? {}) },
    min_balance_cents: raw.policy?.min_balance_cents ?? DEFAULT_POLICY.min_balance_cents,
    ignore_profile_fields: [
      ...(raw.policy?.ignore_profile_fields ?? DEFAULT_POLICY.ignore_profile_fields),
    ].sort(),
  };
  return {
    organization: {
      name: raw.organization.name,
      plan: raw.organization.plan ?? null,
      provider_domain: raw.organization.provider_domain ?? "console.test",
    },
    policy,
    domains: (raw.domains ?? []).map((d) => ({ name: d.name })),
    groups: (raw.groups ?? []).map((g) => ({
      name: g.name,
      description: g.description ?? "",
      previously: [...(g.previously ?? [])],
    })),
    users: (raw.users ?? []).map(normalizeUser),
  };
}

function normalizeUser(raw: RawUser): DesiredUser {
  const password: SecretRef | null = raw.password
    ? {
        ...(raw.password.env ? { env: raw.password.env } : { file: raw.password.file! }),
        rotation: raw.password.rotation ?? null,
      }
    : null;
  return {
    login: raw.login,
    first_name: raw.first_name.trim(),
    last_name: raw.last_name.trim(),
    email: normalizeAddress(raw.email),
    plan: raw.plan,
    role: raw.role ?? "member",
    status: raw.status ?? "active",
    owner: raw.owner ?? false,
    protected: raw.protected ?? false,
    aliases: [...new Set((raw.aliases ?? []).map(normalizeAddress))].sort(),
    groups: [...new Set(raw.groups ?? [])].sort(),
    profile: { ...(raw.profile ?? {}) },
    password,
  };
}
