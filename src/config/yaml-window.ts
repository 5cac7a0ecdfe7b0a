/**
 * A refusal of a large org.yaml decided by `yaml` (the reference) on a reduced text, with exactly the issues
 * `yaml` gives for the whole file: the same codes, messages and places, the same count.
 *
 * Why: `yaml` lexes, parses and composes a 6 MB file in about 5 s, and every file the fast reader leaves to
 * it (a syntax error above all) must still be answered in under 2 s.
 *
 * What is removed: the middle of every long run of "simple lines", consecutive lines that each are exactly
 * `<indent>key: value` with the same indent, a key and a value from a small alphabet (SIMPLE_PAIR: no quote,
 * no indicator, no comment, no space in the value, a key that resolves to itself as a string). The first and
 * the last line of each run stay. Whole lines go, so a column never changes and a line moves by the lines
 * removed above it (mapped back below).
 *
 * Why the answer cannot change, given the checks `verifiedCuts` makes on the reduced text's syntax tree:
 * - `yaml`'s Lexer and Parser read line by line with a stack of open collections; the only look-ahead past a
 *   line's end is the next line's indentation and first characters (does a plain scalar continue?). The text
 *   up to the end of the run's first line is the same in both files, and the line after it (the run's second
 *   line, or in the reduced text its last) has the same indent and shape, so both reach the same state there.
 * - The checks prove that in the reduced text the run's first and last lines are two consecutive pairs of
 *   one block mapping at the run's indent, inside block collections only, each a plain key, `: `, a plain
 *   value and a newline. So after the first line the parser sits in that mapping with a complete pair, at a
 *   line start. A simple line at the mapping's indent in that state adds one pair, with no error, and leaves
 *   the same state: every removed line does so in the whole file, and the last line is then read as in the
 *   reduced text. From there both texts are the same, offsets shifted by the removed length.
 * - Composing: the removed pairs are plain scalars that no core tag fails on, with no anchor, alias, tag or
 *   comment, so they add no error, change no alias count (their mapping keeps scalar pairs either way) and
 *   no nesting. The only whole-file check they take part in is duplicate keys: they are refused here when a
 *   removed key repeats another removed key or any key of the same mapping (then the whole file is read).
 * - Every message of `yaml` and of orgctl's reading is free of positions except the duplicate key's "first
 *   at line N", which is mapped like the issue's own line.
 * When a check fails, the run is kept whole; when the reduced text is accepted (the reduced answer is only
 * trusted for refusals), the caller reads the whole file. The differential tests (test/config/yaml-window.test.ts)
 * compare this with `yaml` on the whole text, errors placed before, inside, between and after runs.
 * Pure.
 */
import type { CST } from "yaml";
import { ConfigInvalidError, type ConfigIssue } from "./model.js";
import { yamlLibrary } from "./yaml-library.js";

/** Below this size `yaml` reads the whole file quickly enough: no window. */
export const WINDOW_MIN_BYTES = 256 * 1024;

/**
 * A simple line: indent, a key that starts with a letter, `: `, a value that starts with a letter or digit.
 * Bounded lengths keep every implicit key far below `yaml`'s 1024-character limit.
 */
const SIMPLE_PAIR = /^( *)([A-Za-z][A-Za-z0-9_-]{0,99}): ([A-Za-z0-9_][A-Za-z0-9_.@+-]{0,199})$/;
/** Core schema words that resolve to null or a boolean (every other SIMPLE_PAIR key is a string). */
const CORE_WORDS = new Set(["null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"]);

/** One run's removed middle. Offsets are in the whole text. */
interface Cut {
  indent: number;
  /** Start of the run's first line (kept) and of its last line (kept); the lines between go. */
  firstLine: number;
  lastLine: number;
  /** Offset where the removed part starts (the run's second line) and where it ends (the last line). */
  from: number;
  to: number;
  /** 0-based line number of the first removed line in the whole text, and how many lines go. */
  line: number;
  lines: number;
  keys: string[];
}

export interface WindowOptions {
  /** Runs shorter than this stay whole (the default makes a cut worth a reduced parse). */
  minRun?: number;
}

/**
 * The whole file's refusal, found by reading a reduced text with `read` (the `yaml` reader, which throws
 * ConfigInvalidError for a refusal); null when there is nothing to remove, or the reduced text is accepted:
 * then only the whole file tells.
 */
export function windowRefusal(
  text: string,
  read: (text: string) => unknown,
  options: WindowOptions = {},
): ConfigIssue[] | null {
  let cuts = findCuts(text, options.minRun ?? 64);
  if (cuts.length === 0) return null;
  let reduced = reduce(text, cuts);
  let verified = verifiedCuts(reduced, cuts);
  if (verified.length < cuts.length) {
    // Keep only the cuts that held; the others' runs stay whole, which cannot change the ones that held.
    if (verified.length === 0) return null;
    cuts = verified;
    reduced = reduce(text, cuts);
    if (verifiedCuts(reduced, cuts).length < cuts.length) return null;
  }
  try {
    read(reduced);
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    return error.issues.map((issue) => mapIssue(issue, cuts));
  }
  return null;
}

/**
 * For the loader: throws the whole file's refusal when a reduced text tells it (a file of at least
 * WINDOW_MIN_BYTES); returns when the whole file must be read.
 */
export function refuseFromWindow(text: string, read: (text: string) => unknown): void {
  if (text.length < WINDOW_MIN_BYTES) return;
  const issues = windowRefusal(text, read);
  if (issues) throw new ConfigInvalidError(issues);
}

/** The runs of simple lines worth cutting, in text order. */
function findCuts(text: string, minRun: number): Cut[] {
  const cuts: Cut[] = [];
  // The current run: its indent, first line's offset and number, and the offsets and keys of its lines.
  let indent = -1;
  let starts: number[] = [];
  let keys: string[] = [];
  let firstLineNumber = 0;
  const close = () => {
    if (starts.length >= Math.max(minRun, 3)) {
      cuts.push({
        indent,
        firstLine: starts[0]!,
        lastLine: starts[starts.length - 1]!,
        from: starts[1]!,
        to: starts[starts.length - 1]!,
        line: firstLineNumber + 1,
        lines: starts.length - 2,
        keys: keys.slice(1, -1),
      });
    }
    indent = -1;
    starts = [];
    keys = [];
  };
  let lineNumber = 0;
  for (let start = 0, end = text.indexOf("\n"); end !== -1; start = end + 1, end = text.indexOf("\n", start)) {
    const match = SIMPLE_PAIR.exec(text.slice(start, end));
    if (!match || CORE_WORDS.has(match[2]!)) close();
    else {
      const own = match[1]!.length;
      if (own !== indent) {
        close();
        indent = own;
        firstLineNumber = lineNumber;
      }
      starts.push(start);
      keys.push(match[2]!);
    }
    lineNumber++;
  }
  close();
  return cuts;
}

function reduce(text: string, cuts: Cut[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const cut of cuts) {
    parts.push(text.slice(at, cut.from));
    at = cut.to;
  }
  parts.push(text.slice(at));
  return parts.join("");
}

/** Where a whole-text offset before a cut's end lands in the reduced text. */
function reducedOffset(offset: number, cuts: Cut[]): number {
  let removed = 0;
  for (const cut of cuts) {
    if (cut.to > offset) break;
    removed += cut.to - cut.from;
  }
  return offset - removed;
}

type Item = CST.CollectionItem;

/**
 * The cuts whose run's first and last lines are, in the reduced text's syntax tree, consecutive simple pairs
 * of one block mapping at the run's indent whose ancestors are block collections only, and whose removed
 * keys repeat neither each other nor a key of that mapping.
 */
function verifiedCuts(reduced: string, cuts: Cut[]): Cut[] {
  const { Parser } = yamlLibrary();
  // The key offsets (reduced) of the lines to check, and where each was found.
  const wanted = new Map<number, { map: CST.BlockMap; index: number } | null>();
  for (const cut of cuts) {
    wanted.set(reducedOffset(cut.firstLine, cuts) + cut.indent, null);
    wanted.set(reducedOffset(cut.lastLine, cuts) + cut.indent, null);
  }
  const pending: { token: CST.Token; blockOnly: boolean }[] = [];
  for (const token of new Parser().parse(reduced)) {
    if (token.type === "document" && token.value) pending.push({ token: token.value, blockOnly: true });
  }
  while (pending.length > 0) {
    const { token, blockOnly } = pending.pop()!;
    if (token.type === "block-map" || token.type === "block-seq" || token.type === "flow-collection") {
      const inner = blockOnly && token.type !== "flow-collection";
      token.items.forEach((item: Item, index: number) => {
        if (item.key) {
          if (inner && token.type === "block-map" && wanted.has(item.key.offset))
            wanted.set(item.key.offset, { map: token, index });
          pending.push({ token: item.key, blockOnly: inner });
        }
        if (item.value) pending.push({ token: item.value, blockOnly: inner });
      });
    }
  }
  return cuts.filter((cut) => {
    const first = wanted.get(reducedOffset(cut.firstLine, cuts) + cut.indent);
    const last = wanted.get(reducedOffset(cut.lastLine, cuts) + cut.indent);
    if (!first || !last || first.map !== last.map || last.index !== first.index + 1) return false;
    if (first.map.indent !== cut.indent) return false;
    if (!isSimplePair(first.map.items[first.index]!) || !isSimplePair(last.map.items[last.index]!))
      return false;
    return keysAreUnique(cut.keys, first.map);
  });
}

/** A pair read from a simple line: indentation only before it, plain key, `: `, plain value, newline. */
function isSimplePair(item: Item): boolean {
  const { key, sep, value } = item;
  return (
    item.start.every((token) => token.type === "space") &&
    key?.type === "scalar" &&
    sep?.length === 2 &&
    sep[0]!.type === "map-value-ind" &&
    sep[1]!.type === "space" &&
    value?.type === "scalar" &&
    value.end?.length === 1 &&
    value.end[0]!.type === "newline"
  );
}

/**
 * Whether the removed keys repeat neither each other nor any scalar key of the mapping they belong to. A
 * removed key is a string equal to its text; a kept key is compared by its text after quotes and folding,
 * which is never less strict than `yaml`'s check (a tag could only make it differ).
 */
function keysAreUnique(keys: string[], map: CST.BlockMap): boolean {
  const { CST: cst } = yamlLibrary();
  const seen = new Set(keys);
  if (seen.size < keys.length) return false;
  for (const item of map.items) {
    const key = item.key;
    if (!key || !SCALAR_TOKENS.has(key.type)) continue;
    const resolved = cst.resolveAsScalar(key, false, () => {});
    if (resolved && seen.has(resolved.value)) return false;
  }
  return true;
}

const SCALAR_TOKENS = new Set(["scalar", "single-quoted-scalar", "double-quoted-scalar", "block-scalar"]);

/** An issue of the reduced text, placed in the whole text. */
function mapIssue(issue: ConfigIssue, cuts: Cut[]): ConfigIssue {
  const line = wholeLine(issue.line, cuts);
  const message =
    issue.code === "duplicate_key"
      ? issue.message.replace(/\(first at line (\d+)\)/, (_, n: string) => `(first at line ${wholeLine(Number(n), cuts)})`)
      : issue.message;
  return { ...issue, line, message };
}

/** A 1-based line of the reduced text → the whole text's. */
function wholeLine(line: number, cuts: Cut[]): number {
  let whole = line;
  for (const cut of cuts) {
    // The cut's removed lines sat before the whole text's 0-based line `cut.line + cut.lines`.
    if (whole - 1 >= cut.line) whole += cut.lines;
    else break;
  }
  return whole;
}
