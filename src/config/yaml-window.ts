/**
 * A refusal of a large org.yaml decided by `yaml` (the reference) on a reduced text, with exactly the issues
 * `yaml` gives for the whole file: the same codes, messages and places, the same count.
 *
 * Why: `yaml` lexes, parses and composes a 6 MB file in about 5 s, and every file the fast reader leaves to
 * it (a syntax error above all) must still be answered in under 2 s.
 *
 * What is removed: the middle of every long run of "simple lines", consecutive lines that each are exactly
 * `<indent>key: value` with the same indent, a key and a value from a small alphabet (simpleLine: no quote,
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
 * - Or the checks prove that one quoted scalar (a value, not a key) holds the run's first and last lines and
 *   all between: then the removed lines are text of that scalar in the whole file too (see insideQuoted),
 *   and text without quote or backslash adds no error.
 * - Every message of `yaml` and of orgctl's reading is free of positions except the duplicate key's "first
 *   at line N", which is mapped like the issue's own line.
 * Also removed: the middle items of runs of block sequence items (records of several lines, such as
 * org.yaml's users) where a kept item of the same shape is checked (yaml-window-records.ts, which says why
 * that cannot change the answer either). And a file whose last lines `yaml` reads as ever deeper mappings is
 * answered from a prefix (yaml-window-chain.ts). A `%` directive line (`%YAML 1.1` resolves `yes` and `on`
 * to one key) reads the whole file.
 * When a check fails, the run is kept whole. When the reduced text is accepted, the whole file is too (the
 * same issues: none), and its value is the reduced text's with the removed lines put back
 * (yaml-window-accept.ts); where they cannot be put back, the caller reads the whole file. The differential
 * tests (test/config/yaml-window.test.ts) compare this with `yaml` on the whole text, errors placed before,
 * inside, between and after runs, and the values and positions built.
 * Pure.
 */
import type { CST, Document, LineCounter } from "yaml";
import { MAX_ALIAS_COUNT } from "./load/guards.js";
import { ConfigInvalidError, type ConfigIssue } from "./model.js";
import { yamlLibrary } from "./yaml-library.js";
import { acceptFromWindow, type WindowAcceptance } from "./yaml-window-accept.js";
import { chainRefusal } from "./yaml-window-chain.js";
import {
  CORE_WORDS,
  findRecordRuns,
  isDigit,
  isKeyChar,
  isLetter,
  isValueChar,
  type Removal,
  splitRuns,
  templatesAt,
  verifiedRecordRuns,
} from "./yaml-window-records.js";

/** Below this size `yaml` reads the whole file quickly enough: no window. */
export const WINDOW_MIN_BYTES = 256 * 1024;

/** One run's removed middle. Offsets are in the whole text. */
interface Cut extends Removal {
  indent: number;
  /** Start of the run's first line (kept) and of its last line (kept); the lines between go. */
  firstLine: number;
  lastLine: number;
  /** Offset just past the run's last line (its newline). */
  lastEnd: number;
  /** The removed lines' keys, as [start, end) offsets in the whole text. */
  keys: KeySpans;
}

/** Key spans, two numbers each: start, end. */
type KeySpans = number[];

/** A cut that held, and whether its lines are text of a quoted scalar rather than pairs of a mapping. */
interface HeldCut extends Cut {
  quoted: boolean;
}

/** The reference reader of a reduced text (`readWithYaml`): throws ConfigInvalidError for a refusal. */
export type ReducedRead = (text: string) => { doc: Document };

export type { WindowAcceptance };

export interface WindowOptions {
  /** Runs shorter than this stay whole (the default makes a cut worth a reduced parse). */
  minRun?: number;
  /** Runs of fewer records than this stay whole (yaml-window-records.ts). */
  minRecords?: number;
  /** A chain's prefix longer than this fraction of the file is not read (yaml-window-chain.ts). */
  chainMaxPrefix?: number;
  /** A reduced text longer than this is not read: the window does not tell (the default reads any). */
  maxReducedBytes?: number;
  /** The cut text was read and accepted already (refuseFromWindowFirst): only the chain is left to try. */
  cutsAccepted?: boolean;
}

/**
 * The whole file's refusal, found by reading a reduced text with `read` (the `yaml` reader, which throws
 * ConfigInvalidError for a refusal); null when there is nothing to remove, or the reduced text is accepted:
 * then only the whole file tells.
 */
export function windowRefusal(
  text: string,
  read: ReducedRead,
  options: WindowOptions = {},
): ConfigIssue[] | null {
  const answer = windowAnswer(text, read, options);
  return Array.isArray(answer) ? answer : null;
}

/**
 * The whole file's refusal, or its acceptance built from the reduced text (yaml-window-accept.ts), or null
 * when only the whole file tells.
 */
export function windowAnswer(
  text: string,
  read: ReducedRead,
  options: WindowOptions = {},
): ConfigIssue[] | WindowAcceptance | null {
  if (hasDirective(text)) return null;
  const cut = options.cutsAccepted ? null : cutRefusal(text, read, options);
  if (Array.isArray(cut)) return cut;
  if (cut?.accepted) return cut.accepted;
  return chainRefusal(text, read, simpleLine, options.chainMaxPrefix);
}

/** A directive (`%YAML 1.1`) changes how plain scalars resolve: `yes` and `on` are both true there. */
function hasDirective(text: string): boolean {
  return text.startsWith("%") || text.includes("\n%");
}

/**
 * The refusal of the text with its runs' middles removed (see above); `accepted` when the reduced text was
 * read and accepted (the whole file's value built from it, or null when it cannot be), null when there was
 * nothing to remove or too much left to read.
 */
function cutRefusal(
  text: string,
  read: ReducedRead,
  options: WindowOptions,
): ConfigIssue[] | { accepted: WindowAcceptance | null } | null {
  const minRecords = options.minRecords ?? 16;
  let runs = text.includes("- ") ? findRecordRuns(text, minRecords) : [];
  let cuts: Cut[] = findCuts(text, options.minRun ?? 64).filter(
    (cut) => !runs.some((run) => cut.firstLine < run.end && run.start < cut.lastEnd),
  );
  // Cuts or runs that fail a check are left out (a run is split around a record that fails) and the rest
  // checked again on the new reduced text; the others' parts then stay whole, which cannot change the ones
  // that held.
  for (let attempt = 0; attempt < 4; attempt++) {
    if (cuts.length === 0 && runs.length === 0) return null;
    const removals = [...cuts, ...runs.flatMap((run) => run.removals)].sort((a, b) => a.from - b.from);
    const reduced = reduce(text, removals);
    if (reduced.length > (options.maxReducedBytes ?? Number.POSITIVE_INFINITY)) return null;
    const { LineCounter, Parser } = yamlLibrary();
    const lineCounter = new LineCounter();
    const tokens = [...new Parser(lineCounter.addNewLine).parse(reduced)];
    const place = (offset: number) => reducedOffset(offset, removals);
    const heldCuts = verifiedCuts(text, tokens, cuts, place).filter((cut) =>
      startsLine(cut, lineCounter, place),
    );
    const { held, unclean } = verifiedRecordRuns(runs, tokens, place);
    const heldRuns = held.filter((run) =>
      run.removals.every((removal) => startsLine(removal, lineCounter, place)),
    );
    if (heldCuts.length < cuts.length || heldRuns.length < runs.length) {
      cuts = heldCuts;
      runs = [
        ...heldRuns,
        ...splitRuns(
          text,
          runs.filter((run) => !held.includes(run) && run.records.some((record) => unclean.has(record))),
          unclean,
          minRecords,
        ),
      ].sort((a, b) => a.start - b.start);
      continue;
    }
    const verified = removals.map((removal) => ({
      cut: removal,
      line: lineCounter.linePos(place(removal.to)).line,
    }));
    let accepted: { doc: Document };
    try {
      accepted = read(reduced);
    } catch (error) {
      if (!(error instanceof ConfigInvalidError)) throw error;
      const { issues } = error;
      // A too_deep answer is not trusted where records were removed: a removed record's collections are as
      // deep as their sequence's items, which the kept ones may not show.
      if (runs.length > 0 && issues.some((issue) => issue.code === "too_deep")) return null;
      // An issue in a template (or on the line after it): that record is no template, read it whole.
      const hit = templatesAt(
        runs,
        issues.map((issue) => issue.line),
        (offset) => lineCounter.linePos(place(offset)).line,
      );
      if (hit.size > 0) {
        runs = splitRuns(text, runs, hit, minRecords);
        continue;
      }
      return issues.map((issue) => mapIssue(issue, verified));
    }
    const records = runs.flatMap((run) =>
      run.removals.map((removal) => ({ ...removal, indent: run.indent })),
    );
    return { accepted: acceptFromWindow(text, accepted.doc, heldCuts, records, MAX_ALIAS_COUNT) };
  }
  return null;
}

/**
 * `yaml` numbers lines by the newlines its parser reports (not those inside a token it did not expect), so
 * a line is mapped back in its numbering: a removed part must start a line there.
 */
function startsLine(removal: Removal, lineCounter: LineCounter, place: (offset: number) => number): boolean {
  return lineCounter.linePos(place(removal.to)).col === 1;
}

/**
 * For the loader: throws the whole file's refusal when a reduced text tells it (a file of at least
 * WINDOW_MIN_BYTES); returns when the whole file must be read.
 */
export function refuseFromWindow(
  text: string,
  read: ReducedRead,
  options: Pick<WindowOptions, "cutsAccepted"> = {},
): WindowAcceptance | null {
  if (text.length < WINDOW_MIN_BYTES) return null;
  const answer = windowAnswer(text, read, options);
  if (Array.isArray(answer)) throw new ConfigInvalidError(answer);
  return answer;
}

/**
 * For the loader, before the event reader reads a large file that the block reader left late (where a
 * syntax error or a construct it does not read is likeliest): throws the whole file's refusal when a reduced
 * text of at most an eighth of the file tells it. Returns the whole file's acceptance when that text was
 * accepted and the value could be built from it; "accepted" when it was accepted but the value cannot be
 * built from it (refuseFromWindow need not read it again: `cutsAccepted`); null when nothing was read.
 */
export function refuseFromWindowFirst(text: string, read: ReducedRead): WindowAcceptance | "accepted" | null {
  if (text.length < WINDOW_MIN_BYTES || hasDirective(text)) return null;
  const cut = cutRefusal(text, read, { maxReducedBytes: text.length >> 3 });
  if (cut === null) return null;
  if (Array.isArray(cut)) throw new ConfigInvalidError(cut);
  return cut.accepted ?? "accepted";
}

/** The runs of simple lines worth cutting, in text order. */
function findCuts(text: string, minRun: number): Cut[] {
  const cuts: Cut[] = [];
  // The current run: its indent, the offsets of its first, second and last lines and past its last, its
  // length, and its keys.
  let indent = -1;
  let first = 0;
  let second = 0;
  let last = 0;
  let lastEnd = 0;
  let count = 0;
  let keys: KeySpans = [];
  const close = () => {
    if (count >= Math.max(minRun, 3)) {
      cuts.push({
        indent,
        firstLine: first,
        lastLine: last,
        from: second,
        to: last,
        lastEnd,
        lines: count - 2,
        keys: keys.slice(2, -2),
      });
    }
    indent = -1;
    count = 0;
    keys = [];
  };
  const line = { indent: 0, keyEnd: 0 };
  for (let start = 0; start < text.length; ) {
    const end = simpleLine(text, start, line);
    if (end < 0) {
      close();
      const next = text.indexOf("\n", start);
      if (next === -1) break;
      start = next + 1;
      continue;
    }
    if (line.indent !== indent) {
      close();
      indent = line.indent;
      first = start;
    }
    if (count === 1) second = start;
    last = start;
    count++;
    keys.push(start + line.indent, line.keyEnd);
    start = end;
    lastEnd = end;
  }
  close();
  return cuts;
}

/**
 * When the line at `start` is a simple line, the offset past its newline (and its indent and key's end in
 * `out`); else -1. A simple line: spaces, a key of a letter then up to 99 of `[A-Za-z0-9_-]`, `: `, a value
 * of a letter, digit or `_` then up to 199 of `[A-Za-z0-9_.@+-]`, `\n`; the key not a CORE_WORDS word.
 */
function simpleLine(text: string, start: number, out: { indent: number; keyEnd: number }): number {
  let i = start;
  while (text.charCodeAt(i) === 32) i++;
  const keyStart = i;
  if (!isLetter(text.charCodeAt(i))) return -1;
  i++;
  while (i - keyStart <= 100 && isKeyChar(text.charCodeAt(i))) i++;
  const keyEnd = i;
  if (keyEnd - keyStart > 100 || text.charCodeAt(i) !== 58 || text.charCodeAt(i + 1) !== 32) return -1;
  i += 2;
  const valueStart = i;
  const c = text.charCodeAt(i);
  if (!(isLetter(c) || isDigit(c) || c === 95)) return -1;
  i++;
  while (i - valueStart <= 200 && isValueChar(text.charCodeAt(i))) i++;
  if (i - valueStart > 200 || text.charCodeAt(i) !== 10) return -1;
  if (keyEnd - keyStart <= 5 && CORE_WORDS.has(text.slice(keyStart, keyEnd))) return -1;
  out.indent = keyStart - start;
  out.keyEnd = keyEnd;
  return i + 1;
}

function reduce(text: string, removals: Removal[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const removal of removals) {
    parts.push(text.slice(at, removal.from));
    at = removal.to;
  }
  parts.push(text.slice(at));
  return parts.join("");
}

/** Where a whole-text offset (not inside a removed part) lands in the reduced text. */
function reducedOffset(offset: number, removals: Removal[]): number {
  let removed = 0;
  for (const removal of removals) {
    if (removal.to > offset) break;
    removed += removal.to - removal.from;
  }
  return offset - removed;
}

type Item = CST.CollectionItem;

/**
 * The cuts whose run's first and last lines are, in the reduced text's syntax tree, consecutive simple pairs
 * of one block mapping at the run's indent whose ancestors are block collections only, and whose removed
 * keys repeat neither each other nor a key of that mapping.
 */
function verifiedCuts(
  text: string,
  tokens: CST.Token[],
  cuts: Cut[],
  place: (offset: number) => number,
): HeldCut[] {
  // The key offsets (reduced) of the lines to check, and where each was found.
  const wanted = new Map<number, { map: CST.BlockMap; index: number } | null>();
  for (const cut of cuts) {
    wanted.set(place(cut.firstLine) + cut.indent, null);
    wanted.set(place(cut.lastLine) + cut.indent, null);
  }
  // The quoted scalars that are values (not keys): [start, end) in the reduced text.
  const quoted: [number, number][] = [];
  const pending: { token: CST.Token; blockOnly: boolean; isKey?: boolean }[] = [];
  for (const token of tokens) {
    if (token.type === "document" && token.value) pending.push({ token: token.value, blockOnly: true });
  }
  while (pending.length > 0) {
    const { token, blockOnly, isKey } = pending.pop()!;
    if ((token.type === "double-quoted-scalar" || token.type === "single-quoted-scalar") && !isKey)
      quoted.push([token.offset, token.offset + token.source.length]);
    if (token.type === "block-map" || token.type === "block-seq" || token.type === "flow-collection") {
      const inner = blockOnly && token.type !== "flow-collection";
      token.items.forEach((item: Item, index: number) => {
        if (item.key) {
          if (inner && token.type === "block-map" && wanted.has(item.key.offset))
            wanted.set(item.key.offset, { map: token, index });
          pending.push({ token: item.key, blockOnly: inner, isKey: true });
        }
        if (item.value) pending.push({ token: item.value, blockOnly: inner });
      });
    }
  }
  quoted.sort((a, b) => a[0] - b[0]);
  const structural = cuts.flatMap((cut): { cut: Cut; map: CST.BlockMap | null }[] => {
    const firstAt = place(cut.firstLine);
    const lastAt = place(cut.lastLine);
    const first = wanted.get(firstAt + cut.indent);
    const last = wanted.get(lastAt + cut.indent);
    if (
      first &&
      last &&
      first.map === last.map &&
      last.index === first.index + 1 &&
      first.map.indent === cut.indent &&
      isSimplePair(first.map.items[first.index]!) &&
      isSimplePair(last.map.items[last.index]!)
    )
      return [{ cut, map: first.map }];
    if (insideQuoted(quoted, firstAt, lastAt + (cut.lastEnd - cut.lastLine))) return [{ cut, map: null }];
    return [];
  });
  // Several runs can belong to one mapping: their removed keys are checked together.
  const removed = new Map<CST.BlockMap, KeySpans[]>();
  for (const { cut, map } of structural) {
    if (map) removed.set(map, [...(removed.get(map) ?? []), cut.keys]);
  }
  const unique = new Set(
    [...removed].filter(([map, spans]) => keysAreUnique(text, spans, map)).map(([map]) => map),
  );
  return structural.flatMap(({ cut, map }) =>
    map !== null && !unique.has(map) ? [] : [{ ...cut, quoted: map === null }],
  );
}

/** A removed part, and the line (in `yaml`'s numbering of the reduced text) where it was. */
interface Verified {
  cut: Removal;
  line: number;
}

/**
 * Whether one quoted scalar holds the text from `from` to `to` (a run's kept lines and all between): its
 * lines are then text of that scalar, which ends at the same quote in the whole file (removed lines hold
 * no quote and no backslash) and continues over each removed line as over the kept last one (the lexer
 * looks only at a line's indent and first characters).
 */
function insideQuoted(quoted: [number, number][], from: number, to: number): boolean {
  let lo = 0;
  let hi = quoted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (quoted[mid]![0] < from) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 && quoted[found]![1] >= to;
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
 * which is never less strict than `yaml`'s check (a tag could only make it differ). Keys are compared by a
 * hash first (sorted, so linear apart from the sort), by their text when hashes meet.
 */
function keysAreUnique(text: string, spans: KeySpans[], map: CST.BlockMap): boolean {
  const { CST: cst } = yamlLibrary();
  const count = spans.reduce((n, s) => n + s.length / 2, 0);
  const keyAt = (k: number): string => {
    for (const s of spans) {
      if (k < s.length / 2) return text.slice(s[2 * k]!, s[2 * k + 1]!);
      k -= s.length / 2;
    }
    return "";
  };
  // hash × 2^20 + index: exact in a double (at most MAX_YAML_NODES keys < 2^20), sorted as numbers.
  if (count >= 2 ** 20) return false;
  const order = new Float64Array(count);
  let k = 0;
  for (const s of spans) {
    for (let j = 0; j < s.length; j += 2) order[k] = hash(text, s[j]!, s[j + 1]!) * 2 ** 20 + k++;
  }
  order.sort();
  for (let j = 1; j < count; j++) {
    if (Math.floor(order[j - 1]! / 2 ** 20) === Math.floor(order[j]! / 2 ** 20)) {
      if (keyAt(order[j - 1]! % 2 ** 20) === keyAt(order[j]! % 2 ** 20)) return false;
    }
  }
  /** Whether some removed key has this hash (a binary search in `order`). */
  const hashed = (h: number): boolean => {
    let lo = 0;
    let hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = Math.floor(order[mid]! / 2 ** 20);
      if (at === h) return true;
      if (at < h) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  };
  let kept: Set<string> | null = null;
  for (const item of map.items) {
    const key = item.key;
    if (!key || !SCALAR_TOKENS.has(key.type)) continue;
    const resolved = cst.resolveAsScalar(key, false, () => {});
    if (!resolved || !hashed(hash(resolved.value, 0, resolved.value.length))) continue;
    kept ??= new Set(Array.from({ length: count }, (_, j) => keyAt(j)));
    if (kept.has(resolved.value)) return false;
  }
  return true;
}

/** FNV-1a of text[from, to), an unsigned 32-bit number. */
function hash(text: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const SCALAR_TOKENS = new Set(["scalar", "single-quoted-scalar", "double-quoted-scalar", "block-scalar"]);

/** An issue of the reduced text, placed in the whole text. */
function mapIssue(issue: ConfigIssue, cuts: Verified[]): ConfigIssue {
  const line = wholeLine(issue.line, cuts);
  const message =
    issue.code === "duplicate_key"
      ? issue.message.replace(
          /\(first at line (\d+)\)/,
          (_, n: string) => `(first at line ${wholeLine(Number(n), cuts)})`,
        )
      : issue.message;
  return { ...issue, line, message };
}

/**
 * A line of the reduced text → the whole text's, both in `yaml`'s numbering: every removed line was one
 * reported newline in the whole text (a pair's newline token, or a newline of a quoted scalar, which the
 * parser reports one by one, as it did for the kept lines).
 */
function wholeLine(line: number, cuts: Verified[]): number {
  let whole = line;
  for (const { cut, line: at } of cuts) if (line >= at) whole += cut.lines;
  return whole;
}
