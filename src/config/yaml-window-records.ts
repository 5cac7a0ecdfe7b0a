/**
 * The records of yaml-window.ts: runs of block sequence items made of "record lines" (a user of org.yaml:
 * `- login: x`, `  email: y`, `  groups:`, `    - team`), whose middle items are removed when an item of
 * the same shape is kept and checked. Only for a refusal found on the reduced text (yaml-window.ts).
 *
 * A record line is `<spaces>[- ](key: value | key: | value)\n`, with the key and value alphabets of
 * yaml-window.ts's simple lines (a plain key that is a string equal to its text, a plain one-word value),
 * and a bare value only after `- `. A record is a line `<I spaces>- …` and the record lines after it that
 * are indented more than I; a run is a sequence of records that follow each other at the same I. A record's
 * shape is, line by line, its indent, its `- `, its kind (pair, key alone, value) and its key's text: not
 * its values.
 *
 * Why a removed record cannot change `yaml`'s answer, given the checks below on the reduced text's tree
 * (`yaml` 2's Lexer and Parser, read for this):
 * - The lexer splits a record line into the same tokens whatever its key's and value's characters in these
 *   alphabets (no `: `, ` #`, quote, flow indicator or leading `-`/`.` inside them); whether a plain
 *   scalar continues on the next line depends only on that line's indent. So two records of one shape give
 *   the same token types with the same indents.
 * - When the parser reads the `<I spaces>- ` that starts a record after a record of the run, it pops the
 *   earlier record's collections into the sequence and then holds: the collections below the sequence,
 *   the sequence on top, and a last item of the sequence holding only that space and `-`. The checks prove
 *   this (every kept record after the first is the next item of one block sequence at indent I, its item
 *   starting with exactly those tokens). From there the parser looks only at the top of its stack and at
 *   the last item of each collection on it, never at the sequence's earlier items, so a record of one
 *   shape is read the same way after any record of the run, and the next record's start brings it back to
 *   the same state.
 * - So every removed record is read as the kept "template" of its shape was, and the record after it
 *   (kept or removed) starts from the same state as in the reduced text. The template is checked to be a
 *   clean item: plain scalar keys and values, `: ` and newlines, block collections, nothing else (no error
 *   token, comment, anchor, tag, flow collection), covering exactly its lines; and no issue of the reduced
 *   text may lie in a template or the first line after it (else the whole file is read).
 * - Composing: a template's mappings have distinct keys (their texts differ, and each is a string equal to
 *   its text), so a removed record, whose keys are the same texts in the same places, adds no duplicate;
 *   plain one-word values fail no core tag; a record has no alias or anchor, and a sequence's alias count
 *   is the largest of its items' (the kept first record is one like them). A removed record's collections
 *   could be nested too deep only if its sequence is: a too_deep answer is not trusted (the whole file is read).
 * Pure.
 */
import type { CST } from "yaml";

/** Core schema words that resolve to null or a boolean (every other key of these alphabets is a string). */
export const CORE_WORDS = new Set([
  "null",
  "Null",
  "NULL",
  "true",
  "True",
  "TRUE",
  "false",
  "False",
  "FALSE",
]);

export const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
export const isDigit = (c: number) => c >= 48 && c <= 57;
/** `[A-Za-z0-9_-]` */
export const isKeyChar = (c: number) => isLetter(c) || isDigit(c) || c === 95 || c === 45;
/** `[A-Za-z0-9_.@+-]` */
export const isValueChar = (c: number) => isKeyChar(c) || c === 46 || c === 64 || c === 43;

/** A removed part of the whole text: [from, to), whole lines, `lines` of them. */
export interface Removal {
  from: number;
  to: number;
  lines: number;
}

/** One record of a run. Offsets are in the whole text. */
interface RunRecord {
  /** Start of its first line, offset of its `-`, and just past its last line's newline. */
  start: number;
  dash: number;
  end: number;
  /** How many lines it has, and a hash of its shape (equal shapes are then compared line by line). */
  lines: number;
  shape: number;
  /** Kept as the template of its shape (or as the run's first or last record). */
  kept: boolean;
  template: boolean;
}

/** A run of records at one indent, with its removed parts. */
export interface RecordRun {
  indent: number;
  records: RunRecord[];
  removals: Removal[];
  /** The whole run: start of the first record, end of the last. */
  start: number;
  end: number;
}

/** One record line, as read by recordLine. */
interface LineShape {
  indent: number;
  dash: boolean;
  /** "p" key: value, "k" key alone, "v" value alone (after `- ` only). */
  kind: "p" | "k" | "v";
  keyStart: number;
  keyEnd: number;
}

/**
 * When the line at `start` is a record line, the offset past its newline (its shape in `out`); else -1.
 */
function recordLine(text: string, start: number, out: LineShape): number {
  let i = start;
  while (text.charCodeAt(i) === 32) i++;
  out.indent = i - start;
  out.dash = text.charCodeAt(i) === 45 && text.charCodeAt(i + 1) === 32;
  if (out.dash) i += 2;
  const wordStart = i;
  const c = text.charCodeAt(i);
  if (!(isLetter(c) || isDigit(c) || c === 95)) return -1;
  i++;
  while (i - wordStart <= 200 && isValueChar(text.charCodeAt(i))) i++;
  if (i - wordStart > 200) return -1;
  const next = text.charCodeAt(i);
  if (next === 10) {
    if (!out.dash) return -1;
    out.kind = "v";
    out.keyStart = out.keyEnd = i;
    return i + 1;
  }
  if (next !== 58) return -1;
  // A key: a letter, then up to 99 of [A-Za-z0-9_-], not a core word.
  if (!isLetter(c) || i - wordStart > 100) return -1;
  for (let k = wordStart + 1; k < i; k++) if (!isKeyChar(text.charCodeAt(k))) return -1;
  if (i - wordStart <= 5 && i - wordStart >= 4 && CORE_WORDS.has(text.slice(wordStart, i))) return -1;
  out.keyStart = wordStart;
  out.keyEnd = i;
  if (text.charCodeAt(i + 1) === 10) {
    out.kind = "k";
    return i + 2;
  }
  if (text.charCodeAt(i + 1) !== 32) return -1;
  i += 2;
  const valueStart = i;
  const v = text.charCodeAt(i);
  if (!(isLetter(v) || isDigit(v) || v === 95)) return -1;
  i++;
  while (i - valueStart <= 200 && isValueChar(text.charCodeAt(i))) i++;
  if (i - valueStart > 200 || text.charCodeAt(i) !== 10) return -1;
  out.kind = "p";
  return i + 1;
}

/**
 * The runs of at least `minRecords` records (and at least 3), in text order, each with its kept records
 * chosen: the first, the last, and the first of every other shape; the rest are removed.
 */
export function findRecordRuns(text: string, minRecords: number): RecordRun[] {
  const runs: RecordRun[] = [];
  const line: LineShape = { indent: 0, dash: false, kind: "p", keyStart: 0, keyEnd: 0 };
  let current: RunRecord[] = [];
  let indent = -1;
  const close = () => {
    if (current.length >= Math.max(minRecords, 3)) runs.push(chooseKept(text, current, indent));
    current = [];
    indent = -1;
  };
  let start = 0;
  while (start < text.length) {
    let end = recordLine(text, start, line);
    if (end < 0 || !line.dash) {
      // Not the start of a record: the run (if any) ends here.
      close();
      const next = text.indexOf("\n", start);
      if (next === -1) break;
      start = next + 1;
      continue;
    }
    const recordIndent = line.indent;
    const dash = start + recordIndent;
    let shape = lineHash(text, line, 0x811c9dc5);
    let lines = 1;
    let simple = true;
    // The record's other lines: every line indented more than the record.
    while (end < text.length) {
      let spaces = end;
      while (text.charCodeAt(spaces) === 32) spaces++;
      if (spaces - end <= recordIndent) break;
      const after = recordLine(text, end, line);
      if (after < 0) {
        simple = false;
        break;
      }
      shape = lineHash(text, line, shape);
      lines++;
      end = after;
    }
    if (!simple) {
      // Not a record of a run; records may start inside it, so go on with its next line.
      close();
      start = text.indexOf("\n", start) + 1;
      continue;
    }
    if (recordIndent !== indent || (current.length > 0 && current[current.length - 1]!.end !== start)) {
      close();
      indent = recordIndent;
    }
    current.push({ start, dash, end, lines, shape, kept: false, template: false });
    start = end;
  }
  close();
  return runs;
}

/** FNV-1a over a record line's shape (indent, `- `, kind, key text), continuing from `h`. */
function lineHash(text: string, line: LineShape, h: number): number {
  h = Math.imul(h ^ line.indent, 0x01000193);
  h = Math.imul(h ^ (line.dash ? 1 : 0) ^ (line.kind === "p" ? 2 : line.kind === "k" ? 4 : 8), 0x01000193);
  for (let i = line.keyStart; i < line.keyEnd; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ 10, 0x01000193);
}

/** Whether two records (record starts) have the same shape: line by line, the same indent, `- `, kind and key. */
function sameShape(text: string, a: RunRecord, b: RunRecord): boolean {
  if (a.lines !== b.lines) return false;
  const la: LineShape = { indent: 0, dash: false, kind: "p", keyStart: 0, keyEnd: 0 };
  const lb: LineShape = { indent: 0, dash: false, kind: "p", keyStart: 0, keyEnd: 0 };
  let at = a.start;
  let bt = b.start;
  for (let n = 0; n < a.lines; n++) {
    at = recordLine(text, at, la);
    bt = recordLine(text, bt, lb);
    const keyLength = la.keyEnd - la.keyStart;
    if (la.indent !== lb.indent || la.dash !== lb.dash || la.kind !== lb.kind) return false;
    if (keyLength !== lb.keyEnd - lb.keyStart) return false;
    for (let k = 0; k < keyLength; k++) {
      if (text.charCodeAt(la.keyStart + k) !== text.charCodeAt(lb.keyStart + k)) return false;
    }
  }
  return true;
}

function chooseKept(text: string, records: RunRecord[], indent: number): RecordRun {
  // The templates by shape hash; a record whose shape differs from its hash's template is kept too.
  const templates = new Map<number, RunRecord>();
  records[0]!.kept = true;
  const last = records[records.length - 1]!;
  last.kept = true;
  for (let j = 1; j < records.length - 1; j++) {
    const record = records[j]!;
    const template = templates.get(record.shape);
    if (template && sameShape(text, template, record)) continue;
    if (!template) templates.set(record.shape, record);
    record.kept = true;
    record.template = true;
  }
  const removals: Removal[] = [];
  for (let j = 1; j < records.length - 1; ) {
    if (records[j]!.kept) {
      j++;
      continue;
    }
    const from = records[j]!.start;
    let lines = 0;
    while (j < records.length - 1 && !records[j]!.kept) lines += records[j++]!.lines;
    removals.push({ from, to: records[j]!.start, lines });
  }
  return { indent, records, removals, start: records[0]!.start, end: last.end };
}

type Item = CST.CollectionItem;

/** Where a kept record was found in the reduced text's tree. */
interface Found {
  seq: CST.BlockSequence;
  index: number;
}

/**
 * The runs whose kept records hold in the reduced text's tree: the kept records are consecutive items of
 * one block sequence at the run's indent, inside block collections only; every one after the first starts
 * with exactly `<I spaces>- ` (the state the parser returns to); every template is a clean item that ends
 * where its record ends and whose mappings have distinct keys. `reducedOffset` places a whole-text offset.
 */
export function verifiedRecordRuns(
  runs: RecordRun[],
  documents: CST.Token[],
  reducedOffset: (offset: number) => number,
): { held: RecordRun[]; unclean: Set<RunRecord> } {
  const wanted = new Map<number, Found | null>();
  for (const run of runs) {
    for (const record of run.records) if (record.kept) wanted.set(reducedOffset(record.dash), null);
  }
  const pending: CST.Token[] = [...documents];
  while (pending.length > 0) {
    const token = pending.pop()!;
    if (token.type === "document") {
      if (token.value) pending.push(token.value);
    } else if (token.type === "block-map" || token.type === "block-seq") {
      token.items.forEach((item: Item, index: number) => {
        if (token.type === "block-seq") {
          const dash = item.start.find((t) => t.type === "seq-item-ind");
          if (dash && wanted.has(dash.offset)) wanted.set(dash.offset, { seq: token, index });
        }
        if (item.key) pending.push(item.key);
        if (item.value) pending.push(item.value);
      });
    }
    // Flow collections and scalars: a record inside one is not found, and its run fails.
  }
  const unclean = new Set<RunRecord>();
  const held = runs.filter((run) => {
    let previous: Found | null = null;
    let clean = true;
    for (const record of run.records) {
      if (!record.kept) continue;
      const found = wanted.get(reducedOffset(record.dash));
      if (!found || found.seq.indent !== run.indent) return false;
      const item = found.seq.items[found.index]!;
      if (previous) {
        if (found.seq !== previous.seq || found.index !== previous.index + 1) return false;
        if (!startsRecord(item, run.indent)) return false;
      }
      if (record.template && cleanEnd(item, true) !== reducedOffset(record.end)) {
        unclean.add(record);
        clean = false;
      }
      previous = found;
    }
    return clean;
  });
  return { held, unclean };
}

/**
 * The runs without the given records: a run holding one is split around it (the record itself stays whole
 * in the text), and its parts with enough records are chosen again.
 */
export function splitRuns(
  text: string,
  runs: RecordRun[],
  without: Set<RunRecord>,
  minRecords: number,
): RecordRun[] {
  return runs.flatMap((run) => {
    if (!run.records.some((record) => without.has(record))) return [run];
    const parts: RunRecord[][] = [[]];
    for (const record of run.records) {
      record.kept = false;
      record.template = false;
      if (without.has(record)) parts.push([]);
      else parts[parts.length - 1]!.push(record);
    }
    return parts
      .filter((part) => part.length >= Math.max(minRecords, 3))
      .map((part) => chooseKept(text, part, run.indent));
  });
}

/** The templates in which (or on the line after which) one of `lines` lies; `lineOf` gives a whole offset's line. */
export function templatesAt(
  runs: RecordRun[],
  lines: number[],
  lineOf: (offset: number) => number,
): Set<RunRecord> {
  const hit = new Set<RunRecord>();
  for (const run of runs) {
    run.records.forEach((record, j) => {
      if (!record.template) return;
      // The template and the first line of the kept record after it (whose first tokens pop its collections).
      const next = run.records.slice(j + 1).find((r) => r.kept)!;
      const from = lineOf(record.start);
      const to = lineOf(next.dash);
      if (lines.some((line) => line >= from && line <= to)) hit.add(record);
    });
  }
  return hit;
}

/** `[space of indent I,] -, one space`: the item of a record read after another record. */
function startsRecord(item: Item, indent: number): boolean {
  const types = item.start.map((t) => `${t.type}:${t.source}`);
  const expected = [...(indent > 0 ? [`space:${" ".repeat(indent)}`] : []), "seq-item-ind:-", "space: "];
  return types.length === expected.length && types.every((t, k) => t === expected[k]);
}

/**
 * When `item` (of a block collection) is clean, the offset just past its last newline; else -1. Clean: only
 * spaces, newlines, `-` and `:` around plain scalars (a key on one line, a value ended by its newline) and
 * block collections of clean items; in a mapping, distinct key texts.
 */
function cleanEnd(item: Item, inSeq: boolean): number {
  if (item.start.some((t) => t.type !== "space" && (!inSeq || t.type !== "seq-item-ind"))) return -1;
  if (inSeq !== item.start.some((t) => t.type === "seq-item-ind")) return -1;
  if (!inSeq) {
    const key = item.key;
    const sep = item.sep;
    if (key?.type !== "scalar" || key.end !== undefined || !sep || sep.length < 2) return -1;
    if (sep[0]!.type !== "map-value-ind") return -1;
    if (sep.slice(1).some((t) => t.type !== "space" && t.type !== "newline")) return -1;
    if (item.value?.type === "scalar" && (sep.length !== 2 || sep[1]!.source !== " ")) return -1;
  } else if (item.key !== undefined || item.sep !== undefined) return -1;
  return cleanValueEnd(item.value);
}

function cleanValueEnd(value: CST.Token | null | undefined): number {
  if (!value) return -1;
  if (value.type === "scalar") {
    const end = value.end;
    if (end?.length !== 1 || end[0]!.type !== "newline" || value.source.includes("\n")) return -1;
    return end[0]!.offset + 1;
  }
  if (value.type !== "block-map" && value.type !== "block-seq") return -1;
  if (value.items.length === 0) return -1;
  const keys = new Set<string>();
  let end = -1;
  for (const item of value.items) {
    if (value.type === "block-map") {
      const key = item.key?.type === "scalar" ? item.key.source : null;
      if (key === null || keys.has(key)) return -1;
      keys.add(key);
    }
    end = cleanEnd(item, value.type === "block-seq");
    if (end < 0) return -1;
  }
  return end;
}
