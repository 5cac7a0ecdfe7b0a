/**
 * A large file whose tail `yaml` reads as a "chain" of ever deeper mappings is answered from a prefix: the
 * refusal is too_deep, placed in the prefix exactly where `yaml` places it for the whole file.
 *
 * When it happens: a flow collection left open on a line (`  first: [unclosed`) ends at the next, less
 * indented line, but `yaml`'s lexer then counts that line's indent as 0. A plain value then continues on
 * every later line indented by at least 1 (`0\n  k1`), up to the next `: `, which makes it the key of a new
 * mapping inside the last: each `  key: value` line nests one level deeper, to the end of the file.
 *
 * Why the prefix gives the whole file's answer, given the checks below on the prefix's syntax tree (the
 * tail is the file's last lines, all simple lines of yaml-window.ts at one indent of at least 1; the prefix
 * keeps its first CHAIN_KEPT lines):
 * - The checks prove that the prefix's last two lines are chain levels: each line's key is the end of one
 *   plain scalar that starts at the line before's value, the only key of a block mapping that is the value
 *   of the line before's mapping. In that state the lexer is inside a plain scalar and never returns to a
 *   line start, so its indentation threshold is set again at each `: ` to the same value, and every removed
 *   line of the same indent continues the scalar as the prefix's last line did; the parser turns the scalar
 *   into the key of one more nested mapping, with no newline token, so it never pops a collection. At the
 *   end of either text the last value ends and every collection is popped into its parent.
 * - So the whole file's tree is the prefix's, except inside the last chain mapping's value. That mapping is
 *   checked to be nested deeper than MAX_NESTING_DEPTH: the walk that finds the first too-deep collection
 *   (firstTooDeep) stops at it or above it and never looks inside, so it returns the same collection, at the
 *   same offset and line, in both texts, and `yaml` is never asked to compose either.
 * Pure.
 */
import type { CST } from "yaml";
import { MAX_NESTING_DEPTH } from "./load/guards.js";
import { ConfigInvalidError, type ConfigIssue } from "./model.js";
import { yamlLibrary } from "./yaml-library.js";

/** Lines of the tail kept in the prefix: enough to pass MAX_NESTING_DEPTH from any depth it starts at. */
export const CHAIN_KEPT = 2 * MAX_NESTING_DEPTH + 8;

/** One simple line of the tail: offsets of its start, key, key's end and value. */
interface TailLine {
  start: number;
  key: number;
  keyEnd: number;
  value: number;
}

/**
 * The whole file's too_deep refusal when its tail is such a chain (read from a prefix with `read`); null
 * when it is not, or the prefix does not prove it. `simpleLine` is yaml-window.ts's.
 */
export function chainRefusal(
  text: string,
  read: (text: string) => unknown,
  simpleLine: (text: string, start: number, out: { indent: number; keyEnd: number }) => number,
  maxPrefix = 0.5,
): ConfigIssue[] | null {
  const tail = simpleTail(text, simpleLine, CHAIN_KEPT + 2);
  if (tail.length < CHAIN_KEPT + 2) return null;
  const prefix = text.slice(0, tail[CHAIN_KEPT]!.start);
  // Reading a prefix nearly as long as the file saves nothing (`maxPrefix`: the longest worth it, a fraction).
  if (prefix.length > text.length * maxPrefix) return null;
  if (!provesChain(prefix, tail[CHAIN_KEPT - 3]!, tail[CHAIN_KEPT - 2]!, tail[CHAIN_KEPT - 1]!)) return null;
  try {
    read(prefix);
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    if (error.issues.length === 1 && error.issues[0]!.code === "too_deep") return error.issues;
  }
  return null;
}

/**
 * The first `count` of the file's last lines that are simple lines at one indent of at least 1 (all of them
 * when fewer), in text order.
 */
function simpleTail(
  text: string,
  simpleLine: (text: string, start: number, out: { indent: number; keyEnd: number }) => number,
  count: number,
): TailLine[] {
  if (!text.endsWith("\n")) return [];
  const out = { indent: 0, keyEnd: 0 };
  // Backwards to the tail's first line, then forwards over the lines wanted.
  let indent = -1;
  let first = text.length;
  while (first > 0) {
    const start = text.lastIndexOf("\n", first - 2) + 1;
    if (simpleLine(text, start, out) !== first || out.indent < 1 || (indent !== -1 && out.indent !== indent))
      break;
    indent = out.indent;
    first = start;
  }
  const lines: TailLine[] = [];
  for (let start = first; start < text.length && lines.length < count; ) {
    const end = simpleLine(text, start, out);
    lines.push({ start, key: start + out.indent, keyEnd: out.keyEnd, value: out.keyEnd + 2 });
    start = end;
  }
  return lines;
}

/**
 * Whether, in the prefix's tree, `before` and `last` (its last two lines) are chain levels (their keys
 * continue the values of `first` and `before`), the mapping of `last` nested deeper than MAX_NESTING_DEPTH
 * (counted as firstTooDeep counts).
 */
function provesChain(prefix: string, first: TailLine, before: TailLine, last: TailLine): boolean {
  const { Parser } = yamlLibrary();
  const pending: { token: CST.Token; depth: number }[] = [];
  for (const token of new Parser().parse(prefix)) {
    if (token.type === "document" && token.value) pending.push({ token: token.value, depth: 0 });
  }
  let beforeMap: CST.BlockMap | null = null;
  while (pending.length > 0) {
    const { token, depth } = pending.pop()!;
    if (token.type !== "block-map" && token.type !== "block-seq" && token.type !== "flow-collection")
      continue;
    const inner = depth + 1;
    if (token.type === "block-map" && token.items.length === 1) {
      const item = token.items[0]!;
      const key = item.key;
      if (key?.type === "scalar" && item.sep?.[0]?.type === "map-value-ind") {
        const keyEnd = key.offset + key.source.length;
        if (key.source.includes("\n") && keyEnd === before.keyEnd && key.offset === first.value)
          beforeMap = token;
        if (key.source.includes("\n") && keyEnd === last.keyEnd && key.offset === before.value) {
          // The last line's mapping: the value of the line before's, deep enough, its value the last value.
          return (
            beforeMap !== null &&
            beforeMap.items[0]!.value === token &&
            inner > MAX_NESTING_DEPTH &&
            item.value?.type === "scalar" &&
            item.value.offset === last.value
          );
        }
      }
    }
    for (const item of token.items as { key?: CST.Token | null; value?: CST.Token }[]) {
      if (item.key) pending.push({ token: item.key, depth: inner });
      if (item.value) pending.push({ token: item.value, depth: inner });
    }
  }
  return false;
}
