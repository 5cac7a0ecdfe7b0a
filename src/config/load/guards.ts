import type { CST, Document } from "yaml";
import { ConfigInvalidError } from "../model.js";
import { yamlLibrary } from "../yaml-library.js";
import { issueAt } from "./issue.js";

/**
 * The guards that keep a hostile file from exhausting memory, time or the stack: caps checked before any
 * parser runs, nesting checked on the parser's tokens before composing, and a linear duplicate-key check.
 */

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

/** The caps every path checks the same way, before any parser runs: value count and flow nesting. */
export function checkCaps(text: string, file: string): void {
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

/**
 * The offset of the first collection in the text nested deeper than `max` (block or flow), walking the
 * parser's tokens without recursion, in the text's order (as the fast readers meet it); null when none is.
 * Composing a deeper document recurses until the stack runs out.
 */
export function firstTooDeep(tokens: CST.Token[], max: number): number | null {
  // Two parallel stacks, and only collections on them: a list of 200,000 scalars allocates nothing. Each
  // collection's children go on in reverse, so that the first comes off first.
  const pending: CST.Token[] = [];
  const depths: number[] = [];
  for (let t = tokens.length - 1; t >= 0; t--) {
    const token = tokens[t]!;
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
    const items = token.items as { key?: CST.Token | null; value?: CST.Token }[];
    for (let i = items.length - 1; i >= 0; i--) {
      const { key, value } = items[i]!;
      if (value && isCollectionToken(value)) {
        pending.push(value);
        depths.push(inner);
      }
      if (key && isCollectionToken(key)) {
        pending.push(key);
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
  const { isMap, isPair, isScalar, isSeq } = yamlLibrary();
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
