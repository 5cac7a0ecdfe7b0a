/**
 * A large file's value built from its reduced text (yaml-window.ts), when `yaml` accepted that text: the
 * whole file is then accepted too (the window's argument: the same issues, none), and its value is the
 * reduced text's with the removed parts put back where they were.
 *
 * Why: a valid file the fast reader does not compose (an explicit tag, a block scalar with an indentation
 * indicator, a tab after a block indicator) went whole to `yaml`, 5 to 8 s for a 6 MB file; the reduced text
 * is at most a few hundred KB in such a file.
 *
 * What is put back, into the value `yaml` made of the reduced text (its toJS, which counted the aliases), in
 * the JavaScript object or array `yaml` made of the removal's collection (found by its path in the reduced
 * Document, and changed in place, as an alias of that collection shares it), keys set as toJS sets them
 * (`__proto__` an own key) and in the whole file's order:
 * - a cut's removed lines (plain `key: value` pairs of one block mapping, proved by the window's checks) as
 *   pairs after the run's first pair: the key is a string equal to its text, the value the plain scalar
 *   resolved by the `yaml` core schema's own tags (`resolvePlain`);
 * - a record run's removed records (whole items of one block sequence) as items before the kept record that
 *   follows them, each read by the block reader (block-yaml.ts), which composes exactly as `yaml` does.
 * Not put back, so the whole file is read instead: the lines of a cut inside a quoted scalar (they would
 * have to be folded into it), records of a sequence at column 0, anything the block reader does not read,
 * and any removal whose place in the reduced Document is not found where the window's checks put it.
 *
 * Positions: every node of the reduced Document is moved to its offset in the whole text; a put-back pair's
 * key and value start where they did in the file, and a path into a put-back record is located by the
 * block reader. Lines and columns are counted over the whole text.
 * Pure.
 */
import type { Document, Node, Range } from "yaml";
import { type BlockRead, readBlockYaml } from "./block-yaml.js";
import { type PathSegment, type Position, resolvePlain } from "./fast-yaml.js";
import { MAX_NESTING_DEPTH } from "./load/guards.js";
import { yamlLibrary } from "./yaml-library.js";
import type { Removal } from "./yaml-window-records.js";

export interface WindowAcceptance {
  value: unknown;
  /** Position of the value at `path` (or of its key, `atKey`), or of the deepest existing parent. */
  locate(path: PathSegment[], atKey?: boolean): Position;
}

/** A cut's removed lines: the run's first (kept) line and the removed keys' [start, end) offsets. */
export interface CutBack extends Removal {
  firstLine: number;
  indent: number;
  keys: number[];
  /** The run's lines are text of one quoted scalar, not pairs: cannot be put back. */
  quoted: boolean;
}

/** A record run's removed records, in a block sequence whose dashes are at `indent`. */
export interface RecordsBack extends Removal {
  indent: number;
}

/**
 * A removed record is as deep as its kept template, which `yaml` read within the cap in the reduced text, and
 * no deeper under the block reader's `x:` than in the file.
 */
const RECORD_MAX_DEPTH = MAX_NESTING_DEPTH;

/** Records put back into one sequence of the reduced Document, before its item `index` there. */
interface RecordGroup {
  index: number;
  count: number;
  block: BlockRead;
  /** Whole-text offset of the block reader's offset 0. */
  base: number;
}

/** The prefix that makes a run of records a value the block reader reads (a mapping's first key). */
const RECORDS_KEY = "x";
const RECORDS_PREFIX = `${RECORDS_KEY}:\n`;

/**
 * The whole file's value and positions, from `doc` (the accepted reduced text's Document, which this
 * changes) and the removals (whole-text offsets, in text order); null when a removal cannot be put back.
 */
export function acceptFromWindow(
  text: string,
  doc: Document,
  cuts: CutBack[],
  records: RecordsBack[],
  maxAliasCount: number,
): WindowAcceptance | null {
  if (cuts.some((cut) => cut.quoted) || records.some((run) => run.indent === 0)) return null;
  const { isMap, isPair, isScalar, isSeq, visit } = yamlLibrary();
  const removals = [...cuts, ...records].sort((a, b) => a.from - b.from);
  const toWhole = wholeOffsets(removals);

  // Where the items of the collections start (reduced offsets): a mapping's pairs by their key, a sequence's
  // items by their node, with the nodes above them. Then every node is moved to its whole-text offsets.
  // `visit` reaches a pair before its key, and gives an item's index as its key.
  interface Place {
    parent: Node;
    index: number;
    above: readonly unknown[];
  }
  const pairAt = new Map<number, Place>();
  const itemAt = new Map<number, Place>();
  visit(doc, (key, node, path) => {
    const parent = path[path.length - 1] as Node;
    if (isPair(node)) {
      const start = (node.key as Node | null)?.range?.[0];
      if (isMap(parent) && start !== undefined)
        pairAt.set(start, { parent, index: Number(key), above: path });
      return;
    }
    const range = (node as Node | null)?.range;
    if (!range) return;
    if (isSeq(parent)) itemAt.set(range[0], { parent, index: Number(key), above: path });
    moveRange(range, toWhole);
  });

  // The reduced text's value, then each removal's place in it: the JavaScript object or array that `yaml`
  // made of the collection, found by its path before anything is put back (which moves indexes).
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount });
  } catch {
    return null;
  }
  const containerOf = (place: Place): unknown => {
    let at: unknown = value;
    // The collections and pairs from the document's top down to the parent (the path ends with it).
    const nodes = place.above.slice(1);
    for (let n = 0; n + 1 < nodes.length; n++) {
      const node = nodes[n];
      const next = nodes[n + 1];
      if (isMap(node) && isPair(next)) {
        if (!isScalar(next.key)) return undefined;
        at = (at as Record<string, unknown>)?.[jsKey(next.key.value)];
        n++;
        // A pair's value follows it on the path.
      } else if (isSeq(node)) {
        at = (at as unknown[])?.[node.items.indexOf(next as never)];
      } else return undefined;
    }
    return at;
  };
  const cutsIn = new Map<Node, CutBack[]>();
  const groupsIn = new Map<Node, RecordGroup[]>();
  // What goes into each object (after which key) and array (before which index), put in once per container.
  const pairsInto = new Map<Record<string, unknown>, Map<string, number[][]>>();
  const itemsInto = new Map<unknown[], Map<number, unknown[][]>>();
  for (const removal of removals) {
    const reducedAt = removal.from - (toWhole.removedBefore(removal.from) ?? 0);
    if ("keys" in removal) {
      const cut = removal as CutBack;
      const found = pairAt.get(reducedAt - (cut.from - cut.firstLine) + cut.indent);
      if (!found || !isMap(found.parent)) return null;
      const object = containerOf(found);
      const first = (found.parent.items[found.index]?.key as { value?: unknown } | undefined)?.value;
      if (!isPlainObject(object) || first === undefined || !Object.hasOwn(object, jsKey(first))) return null;
      cutsIn.set(found.parent, [...(cutsIn.get(found.parent) ?? []), cut]);
      const after = pairsInto.get(object) ?? new Map<string, number[][]>();
      after.set(jsKey(first), [...(after.get(jsKey(first)) ?? []), cut.keys]);
      pairsInto.set(object, after);
    } else {
      const run = removal as RecordsBack;
      // The kept record after the removed ones: its item starts after its `- `.
      if (!text.startsWith(`${" ".repeat(run.indent)}- `, run.to)) return null;
      const found = itemAt.get(reducedAt + run.indent + 2);
      if (!found || !isSeq(found.parent)) return null;
      const array = containerOf(found);
      const block = readBlockYaml(
        RECORDS_PREFIX + text.slice(run.from, run.to),
        RECORD_MAX_DEPTH,
        resolvePlain,
      );
      const items = block?.value[RECORDS_KEY];
      if (!Array.isArray(array) || !block || block.duplicates.length > 0 || !Array.isArray(items))
        return null;
      const group = {
        index: found.index,
        count: items.length,
        block,
        base: run.from - RECORDS_PREFIX.length,
      };
      groupsIn.set(found.parent, [...(groupsIn.get(found.parent) ?? []), group]);
      const before = itemsInto.get(array) ?? new Map<number, unknown[][]>();
      before.set(found.index, [...(before.get(found.index) ?? []), items]);
      itemsInto.set(array, before);
    }
  }
  for (const [object, after] of pairsInto) insertPairs(text, object, after);
  for (const [array, before] of itemsInto) insertItems(array, before);
  for (const groups of groupsIn.values()) groups.sort((a, b) => a.index - b.index);

  const position = lineCursor(text);
  /** The put-back pairs of a mapping by key: key and value offsets (built when a path first asks). */
  const putBack = new Map<Node, Map<string, number>>();
  const putBackPair = (map: Node, key: string): number | undefined => {
    let found = putBack.get(map);
    if (!found) {
      found = new Map();
      for (const cut of cutsIn.get(map) ?? []) {
        for (let k = 0; k < cut.keys.length; k += 2)
          found.set(text.slice(cut.keys[k]!, cut.keys[k + 1]!), cut.keys[k]!);
      }
      putBack.set(map, found);
    }
    return found.get(key);
  };
  return {
    value,
    locate(path, atKey = false) {
      let node: unknown = doc.contents;
      let at = (node as Node | null)?.range ? position((node as Node).range![0]) : { line: 1, col: 1 };
      for (let s = 0; s < path.length; s++) {
        const segment = path[s]!;
        const last = s === path.length - 1;
        if (isMap(node)) {
          const pair = node.items.find(
            // As locatePath matches a key (a null key, "" in the value, is not found: the parent's place).
            (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
          );
          if (!pair) {
            // A put-back pair: `key: value` on one line, the value a scalar (nothing below it).
            const keyStart = cutsIn.has(node) ? putBackPair(node, String(segment)) : undefined;
            if (keyStart === undefined) break;
            return position(atKey && last ? keyStart : keyStart + String(segment).length + 2);
          }
          const key = pair.key as Node;
          node = pair.value;
          const target = (atKey && last) || !(node as Node | null)?.range ? key : (node as Node);
          if (target.range) at = position(target.range[0]);
        } else if (isSeq(node)) {
          let index = Number(segment);
          for (const group of groupsIn.get(node) ?? []) {
            if (index < group.index) break;
            if (index < group.index + group.count) {
              const offset = group.block.offsetOf(
                [RECORDS_KEY, index - group.index, ...path.slice(s + 1)],
                atKey,
              );
              return position(group.base + offset);
            }
            index -= group.count;
          }
          const item = node.items[index];
          if (!item) break;
          node = item;
          if ((node as Node).range) at = position((node as Node).range![0]);
        } else break;
      }
      return at;
    },
  };
}

/** A scalar key as `yaml`'s toJS names it in an object: null as "", any other value as its string. */
function jsKey(value: unknown): string {
  return value === null ? "" : String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Sets a key as `yaml`'s toJS does: an own property even for `__proto__` (the only inherited property of a
 * plain object that assignment does not shadow; see fast-yaml.ts's setKey).
 */
function setKey(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}

/**
 * Puts cuts' pairs into `object`, each cut's after the key it follows, in order: the keys from the first such
 * key on are taken out and set again in the whole file's order (an object keeps its string keys in the order
 * they were set), once for the object.
 */
function insertPairs(text: string, object: Record<string, unknown>, after: Map<string, number[][]>): void {
  const names = Object.keys(object);
  const from = names.findIndex((name) => after.has(name));
  const tail = names.slice(from).map((name) => [name, object[name]] as const);
  for (const [name] of tail) delete object[name];
  for (const [name, item] of tail) {
    setKey(object, name, item);
    for (const keys of after.get(name) ?? []) {
      for (let k = 0; k < keys.length; k += 2) {
        const keyEnd = keys[k + 1]!;
        const valueStart = keyEnd + 2;
        const source = text.slice(valueStart, text.indexOf("\n", valueStart));
        setKey(object, text.slice(keys[k]!, keyEnd), resolvePlain(source));
      }
    }
  }
}

/** Puts items into `array` before the indexes they were found at, in place (aliases may share the array). */
function insertItems(array: unknown[], before: Map<number, unknown[][]>): void {
  const kept = array.splice(0);
  for (let index = 0; index <= kept.length; index++) {
    for (const items of before.get(index) ?? []) for (const item of items) array.push(item);
    if (index < kept.length) array.push(kept[index]);
  }
}

/**
 * Offset → line and column, counting newlines from the place asked last (or from the start, for a place
 * before it): a file refused for one value costs one scan up to it, not an index of every line.
 */
function lineCursor(text: string): (offset: number) => Position {
  let lastOffset = 0;
  let lastLine = 1;
  let lastStart = 0;
  return (offset) => {
    if (offset < lastOffset) {
      lastOffset = 0;
      lastLine = 1;
      lastStart = 0;
    }
    for (let i = text.indexOf("\n", lastOffset); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
      lastLine++;
      lastStart = i + 1;
    }
    lastOffset = offset;
    return { line: lastLine, col: offset - lastStart + 1 };
  };
}

interface WholeOffsets {
  (reduced: number): number;
  /** The length removed before a whole-text offset that starts a removal (null if none starts there). */
  removedBefore(whole: number): number | null;
}

/** Reduced-text offset → whole-text offset: past every removal that starts at or before it. */
function wholeOffsets(removals: Removal[]): WholeOffsets {
  const at: number[] = [];
  const total: number[] = [];
  const before = new Map<number, number>();
  let removed = 0;
  for (const removal of removals) {
    before.set(removal.from, removed);
    at.push(removal.from - removed);
    removed += removal.to - removal.from;
    total.push(removed);
  }
  const toWhole = ((reduced: number) => {
    let lo = 0;
    let hi = at.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (at[mid]! <= reduced) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? reduced : reduced + total[found]!;
  }) as WholeOffsets;
  toWhole.removedBefore = (whole) => before.get(whole) ?? null;
  return toWhole;
}

function moveRange(range: Range, toWhole: (offset: number) => number): void {
  range[0] = toWhole(range[0]);
  range[1] = toWhole(range[1]);
  range[2] = toWhole(range[2]);
}
