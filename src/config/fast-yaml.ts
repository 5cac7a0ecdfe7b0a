/**
 * The fast reader of org.yaml: js-yaml's event parser (a YAML 1.2 parser that passes the YAML test suite),
 * composed into a plain value with exactly the `yaml` package's semantics, which stays the reference (and the
 * only parser for edits that keep comments):
 * - plain scalars are resolved by the `yaml` core schema's own tags (their `test` and `resolve`), in its order;
 *   quoted and block scalars are strings;
 * - map keys become strings the way `yaml`'s toJS makes them (`null` → "", others `String(value)`), and a key
 *   is a duplicate when its resolved value is `===` to an earlier key's in the same mapping, `yaml`'s
 *   `uniqueKeys` rule;
 * - collections nested deeper than the cap are refused where the cap is crossed;
 * - an alias is the value of the last node anchored with its name before it (the same object for a
 *   collection, as `yaml`'s toJS shares it), counted by `yaml`'s own rule against `maxAliasCount` (see
 *   `AnchorRecord`); an alias key is never a duplicate, and `<<` is a plain key (core 1.2 has no merge).
 * Anything this reader does not compose itself (tags, directives, several documents, a collection or an
 * alias of one as a key, an alias inside its own anchor) is answered `unsupported`, and the caller reads the
 * file with `yaml`. Positions are kept as event offsets, and a path is located only when an error needs it.
 * Pure.
 */
import type { Event, MappingEvent, ScalarEvent, SequenceEvent } from "js-yaml";
import { readBlockYaml } from "./block-yaml.js";
import { aliasBombRefusal, unknownAliasRefusal } from "./yaml-aliases.js";
import { jsYamlLibrary, yamlLibrary } from "./yaml-library.js";

export type PathSegment = string | number;

/** Where a value (or its key) starts: 1-based line and column, as `yaml`'s LineCounter gives them. */
export interface Position {
  line: number;
  col: number;
}

export type FastRead =
  | {
      kind: "ok";
      value: unknown;
      /**
       * Position of the value at `path` (or of its key, `atKey`), or of the deepest existing parent; null in
       * the rare case the events do not tell (an empty value right after a nested collection).
       */
      locate(path: PathSegment[], atKey?: boolean): Position | null;
    }
  /**
   * The reader's own located refusal, with the codes and messages of the `yaml` path: `duplicate_key`,
   * `too_deep`, `unknown_alias`, `alias_bomb`.
   */
  | { kind: "invalid"; issues: Issue[] }
  /** A construct this reader leaves to `yaml` (named for tests and debugging). */
  | {
      kind: "unsupported";
      reason: string;
      /** For a syntax error, where js-yaml's parser stopped (near `yaml`'s own place, not always at it). */
      near?: Position;
    };

interface ScalarTag {
  tag?: string;
  default?: boolean | "key";
  test?: RegExp;
  resolve(value: string, onError: (message: string) => void, options: object): unknown;
}

/** The `yaml` core schema's implicit scalar tags, in the order `yaml` tries them (`yaml` loads on first use). */
let coreTags: ScalarTag[] | null = null;
function core(): ScalarTag[] {
  coreTags ??= (new (yamlLibrary().Schema)({ schema: "core" }).tags as unknown as ScalarTag[]).filter(
    (tag) => tag.default === true && tag.test !== undefined,
  );
  return coreTags;
}
const RESOLVE_OPTIONS = { intAsBigInt: false };

/**
 * The beginnings any core tag's `test` can match: "", `~`, null, booleans, numbers (with a sign or a leading
 * dot), `.inf` and `.nan`. Only a filter: what passes is resolved by the tags themselves, so `free` or `name`
 * never loads `yaml`.
 */
const MAYBE_NOT_STRING =
  /^(?:$|~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|[-+]?\.?[0-9]|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN))/;

/**
 * The plain scalars org.yaml holds most (`owner: true`, `version: 1`), resolved as `yaml`'s core tags resolve
 * them, so that a file holding no other kind never loads `yaml`. Integers of up to 15 digits are exact.
 */
const COMMON_SCALARS = new Map<string, unknown>([
  ["", null],
  ["~", null],
  ["null", null],
  ["true", true],
  ["false", false],
]);
const SMALL_DECIMAL = /^(?:0|[1-9][0-9]{0,14})$/;

export function resolvePlain(text: string): unknown {
  if (!MAYBE_NOT_STRING.test(text)) return text;
  if (COMMON_SCALARS.has(text)) return COMMON_SCALARS.get(text);
  if (SMALL_DECIMAL.test(text)) return Number(text);
  for (const tag of core()) {
    // `yaml` keeps the source text when a tag cannot resolve it.
    if (tag.test!.test(text)) {
      const resolved = resolveWith(tag, text);
      return resolved ? resolved.value : text;
    }
  }
  return text;
}

/**
 * The value of `text` by `tag`'s resolver (a Scalar node's value when it answers with one); null if it fails
 * or throws.
 */
function resolveWith(tag: ScalarTag, text: string): { value: unknown } | null {
  let failed = false;
  let value: unknown;
  try {
    value = tag.resolve(
      text,
      () => {
        failed = true;
      },
      RESOLVE_OPTIONS,
    );
  } catch {
    // `yaml` reports a resolver's throw as TAG_RESOLVE_FAILED (`!!timestamp x`).
    return null;
  }
  if (failed) return null;
  return { value: yamlLibrary().isScalar(value) ? value.value : value };
}

/** The scalar tags `yaml` resolves only when named (`!!binary`, `!!timestamp`): its schema's known tags. */
let knownTags: Record<string, ScalarTag & { collection?: string }> | null = null;
function knownScalarTag(full: string): ScalarTag | undefined {
  knownTags ??= new (yamlLibrary().Schema)({ schema: "core", resolveKnownTags: true })
    .knownTags as unknown as Record<string, ScalarTag & { collection?: string }>;
  const tag = knownTags[full];
  return tag && !tag.collection ? tag : undefined;
}

/** The `yaml-1.1` schema's implicit scalar tags, in the order `yaml` tries them (for a `%YAML 1.1` file). */
let tags11: ScalarTag[] | null = null;
/**
 * The beginnings any of them can match: nothing, `~`, a letter of a null or boolean word, a number's (an
 * exponent without a mantissa too: `E0` is a float, NaN, in `yaml`'s 1.1 schema).
 */
const MAYBE_NOT_STRING_11 = /^(?:$|[-+.0-9~nNyYtTfFoOeE])/;

/**
 * A plain scalar's value in a `%YAML 1.1` document, as `yaml` resolves it there: `yes`, `on` and `y` are
 * true, `0777` is octal, `1:30` is 90, `2001-12-14` a Date.
 */
export function resolvePlain11(text: string): unknown {
  if (!MAYBE_NOT_STRING_11.test(text)) return text;
  tags11 ??= (new (yamlLibrary().Schema)({ schema: "yaml-1.1" }).tags as unknown as ScalarTag[]).filter(
    (tag) => tag.default === true && tag.test !== undefined,
  );
  for (const tag of tags11) {
    if (tag.test!.test(text)) {
      const resolved = resolveWith(tag, text);
      return resolved ? resolved.value : text;
    }
  }
  return text;
}

/** `%YAML 1.1` on the first line: the document is read with the `yaml-1.1` schema. */
const YAML_11 = /^%YAML 1\.1[ \t\r\n#]/;

/**
 * A one-line scalar's value after an explicit tag (`!!int 5`: `int` and the scalar's text, quoted or not), as
 * `yaml` resolves it (findScalarTagByName): by the first of the core schema's tags of that name whose test
 * matches the text; else by a known tag of that name, test or not (`!!binary` a Buffer, `!!timestamp` a
 * Date); else the text itself (`yaml` only warns). Undefined when the tag's resolver fails (`yaml` refuses
 * that: left to it).
 */
export function resolveTagged(name: string, source: string): unknown {
  const full = `tag:yaml.org,2002:${name}`;
  for (const tag of core()) {
    if (tag.tag === full && tag.test!.test(source)) return resolveWith(tag, source)?.value;
  }
  const known = knownScalarTag(full);
  if (known) return resolveWith(known, source)?.value;
  return source;
}

class Unsupported extends Error {}

/**
 * A tab after a line's block indicators (`- `, `? `, `: `), or a tab in a line's indentation before an
 * indicator, an anchor, a tag or the line's end: `yaml` refuses some of these (a tab before an anchor, a line
 * of blanks after an explicit key) where js-yaml does not. A superset, on purpose. A tab in the indentation
 * before anything else (a plain scalar's next line, a comment, a key, a quoted scalar) is read alike by both:
 * "agrees with yaml on documents with tabs in their indentation" in the tests.
 */
const TAB_INDENT = /^(?: *[?:-][ ?:-]*\t| *\t[ \t]*(?:[-?:&!]|$))/m;
/**
 * A `\` at a line's end, then a line of blanks: in a double-quoted scalar, `yaml` folds the empty line into a
 * space ("x v") where js-yaml drops it ("xv"). Such a scalar's text is `yaml`'s own (scalarText).
 */
const ESCAPED_BREAK_THEN_EMPTY = /\\\r?\n[ \t]*\r?\n/;
/** A block scalar header with an indentation indicator. */
const INDENT_INDICATOR = /[|>][+-]?[1-9]/;
/** A block scalar header alone on its line but for a key, an item's dash or an anchor. */
const HEADER_ALONE = /^[^|>#"'{}[\]]*[|>](?:[+-][1-9]|[1-9][+-]?)[ \t]*\r?$/;
const SPACES_ONLY_LINE = /^ +\r?$/m;
/** A `!` where a node starts (a tag): first on its line, or after an indicator and blanks, or in flow. */
const TAG_AT_NODE = /(?:^[ \t]*|[-?:,[{][ \t]+|[[{,])!/;

/** A block scalar's header with an explicit indentation indicator (`key: |2`, `- >-1`). */
const INDICATOR_HEADER = /[:-][ \t]+[|>][+-]?[1-9][+-]?[ \t]*(?:#.*)?$/m;
/** A tag the block reader does not read itself (it reads a core or local tag before a one-line scalar). */
const TAG_AT_NODE_ANY_LINE = new RegExp(
  `${TAG_AT_NODE.source}(?!(?:!(?:str|int|float|bool|null)|[A-Za-z0-9_-]*) [^\\s[{#])`,
  "m",
);

/**
 * Whether the text may hold what the fast readers leave to `yaml` or read only to its end: a tag (but a core
 * or local tag before a one-line scalar, which the block reader reads) or an explicit indentation indicator
 * (or text that looks like one, in a quoted scalar: then only time is lost, never an answer).
 */
export function leftToYaml(text: string): boolean {
  return (text.includes("!") && TAG_AT_NODE_ANY_LINE.test(text)) || INDICATOR_HEADER.test(text);
}

function lineAt(text: string, start: number): string {
  const end = text.indexOf("\n", start);
  return text.slice(start, end < 0 ? text.length : end);
}

interface Frame {
  /** Index of the collection's event. */
  event: number;
  container: Record<string, unknown> | unknown[];
  isMap: boolean;
  /** For a mapping: the key waiting for its value, and the keys seen (resolved values). */
  pendingKey: string | null;
  pendingKeyEvent: number;
  seen: Map<unknown, number> | null;
  /** The collection's anchor, closed (its `end` set) when the collection ends. */
  anchor: AnchorRecord | null;
}

/**
 * An anchored node, counted as `yaml`'s Alias.resolve counts it: `count` starts at 1 when the node is
 * composed and grows by one per alias to it; `aliasCount` is worked out at its first alias (and again while
 * it is 0) as the largest, over the node's scalars (1 each) and aliases (their target's count × aliasCount
 * at that moment), 0 for a collection with neither. An alias fails when count × aliasCount passes the cap.
 */
interface AnchorRecord {
  value: unknown;
  /** Event index of the node, and of its POP for a collection (-1 while it is open; the node's own for a scalar). */
  event: number;
  end: number;
  count: number;
  aliasCount: number;
  /**
   * aliasCount is 0 for good. Without an alias inside its own anchor (left to `yaml`), a 0 cannot become
   * anything else: the node's aliases were all resolved before, and their targets' counts are final 0s or
   * positive by the same argument, down to nodes with no alias, whose count is fixed by their scalars.
   */
  zero: boolean;
}

export interface FastReadHooks {
  /**
   * Called where the block reader leaves the text (the start of the line it could not read), before the
   * event reader reads the whole text; it may throw the file's refusal, and returns true when it has
   * answered otherwise (the reader then stops: "answered by the caller").
   */
  blockLeft?: (lineStart: number) => boolean;
}

/**
 * Reads `text` as one YAML document. `maxDepth` caps collection nesting the way `firstTooDeep` counts it
 * (the document's top collection is level 1).
 */
export function fastRead(
  text: string,
  maxDepth: number,
  maxAliasCount: number,
  hooks: FastReadHooks = {},
): FastRead {
  // Plain block YAML, the common case, is read in one pass without events (block-yaml.ts); a `%YAML 1.1`
  // document too, its plain scalars resolved by that schema (and only `!!str` of the tags).
  let answered = false;
  let left = -1;
  const version11 = YAML_11.test(text);
  const block = readBlockYaml(text, maxDepth, version11 ? resolvePlain11 : resolvePlain, {
    onLeave: (lineStart) => {
      left = lineStart;
      answered = hooks.blockLeft?.(lineStart) ?? false;
    },
    resolveTagged: version11 ? undefined : resolveTagged,
    maxAliasCount,
    version: version11 ? "1.1" : "1.2",
  });
  if (answered) return { kind: "unsupported", reason: "answered by the caller" };
  // The block reader left on a line with a tag: the event reader would read the whole text only to stop
  // there (it composes no tag).
  if (!block && left >= 0 && TAG_AT_NODE.test(lineAt(text, left)))
    return { kind: "unsupported", reason: "a tag" };
  if (block) {
    let lineIndex: LineIndex | null = null;
    if (block.duplicates.length > 0) {
      const lines = new LineIndex(text);
      return {
        kind: "invalid",
        issues: block.duplicates.map(({ key, offset, first }) =>
          duplicateKey(key, lines.position(offset), lines.position(first)),
        ),
      };
    }
    return {
      kind: "ok",
      value: block.value,
      locate(path, atKey = false) {
        lineIndex ??= new LineIndex(text);
        return lineIndex.position(block.offsetOf(path, atKey));
      },
    };
  }
  // Where the two parsers were seen to differ (differential tests): tabs after a block indicator or before an
  // anchor, and block scalars with an explicit indentation indicator holding a line of spaces only (which
  // js-yaml and `yaml` count differently; without one, 100,000 generated block scalars agreed, and the test
  // "reads block scalars with an indentation indicator as yaml does" holds it).
  if (TAB_INDENT.test(text)) return { kind: "unsupported", reason: "a tab in indentation" };
  let events: Event[];
  try {
    // js-yaml counts one level more than orgctl's cap (the document); the exact cap is checked below.
    events = jsYamlLibrary().parseEvents(text, { maxDepth: maxDepth + 2 });
  } catch (error) {
    const { reason, mark } = error as { reason?: string; mark?: { line: number; column: number } };
    if (typeof reason !== "string" || !mark) return { kind: "unsupported", reason: "parser failure" };
    if (/maxDepth/.test(reason)) {
      // The parser stops a level or two past the cap (it counts compact sequences its own way). The lines
      // before the one it stopped on usually hold the exact crossing; otherwise the place is near, not
      // exact, and the caller asks `yaml` for it when it can afford to.
      const exact = crossingBefore(text, mark.line, maxDepth);
      if (exact) return { kind: "invalid", issues: [exact] };
      return {
        kind: "invalid",
        issues: [{ ...tooDeep(mark.line + 1, mark.column + 1, maxDepth), approximate: true }],
      };
    }
    // A syntax error is explained by `yaml`, the reference: the two parsers differ on the edges of the
    // syntax (flow keys across lines, tabs, explicit keys, control characters), and a file must never be
    // refused by one rule and accepted by the other. In a large file `yaml` reads a reduced text that gives
    // the whole file's refusal (yaml-window.ts): its CST pass alone over a multi-MB file costs about 3 times
    // this whole reader.
    return {
      kind: "unsupported",
      reason: `a syntax error (${reason})`,
      near: { line: mark.line + 1, col: mark.column + 1 },
    };
  }
  const lines = new LineIndex(text);
  try {
    const composed = compose(text, events, maxDepth, maxAliasCount, lines, version11);
    if ("issues" in composed) return { kind: "invalid", issues: composed.issues };
    const { value } = composed;
    let index: EventIndex | null = null;
    return {
      kind: "ok",
      value,
      locate(path, atKey = false) {
        index ??= new EventIndex(text, events, version11 ? resolvePlain11 : resolvePlain);
        const offset = index.locate(path, atKey);
        if (offset === null) return null;
        return offset < 0 ? { line: 1, col: 1 } : lines.position(offset);
      },
    };
  } catch (error) {
    if (error instanceof Unsupported) return { kind: "unsupported", reason: error.message };
    throw error;
  }
}

function duplicateKey(key: string, at: Position, firstAt: Position): Issue {
  return {
    ...at,
    code: "duplicate_key",
    message: `the key ${JSON.stringify(key)} appears twice in this mapping (first at line ${firstAt.line}); keep one of them`,
  };
}

function tooDeep(line: number, col: number, maxDepth: number): Issue {
  return {
    line,
    col,
    code: "too_deep",
    message: `collections here are nested more than ${maxDepth} levels deep; flatten the file`,
  };
}

/** The exact too_deep crossing within the lines before `line` (0-based), when they parse on their own. */
function crossingBefore(text: string, line: number, maxDepth: number): Issue | null {
  const { parseEvents } = jsYamlLibrary();
  let end = 0;
  for (let n = 0; n < line && end !== -1; n++) end = text.indexOf("\n", end) + 1 || -1;
  if (end <= 0) return null;
  const prefix = text.slice(0, end);
  try {
    const events = parseEvents(prefix, { maxDepth: maxDepth + 2 });
    const composed = compose(prefix, events, maxDepth, Number.POSITIVE_INFINITY, new LineIndex(prefix));
    if ("issues" in composed && composed.issues[0]?.code === "too_deep") return composed.issues[0];
  } catch {
    // not on its own
  }
  return null;
}

type Issue = {
  line: number;
  col: number;
  code: string;
  message: string;
  /** Located near the cause rather than at it (nesting the parser stopped on past the cap). */
  approximate?: boolean;
};

function compose(
  text: string,
  events: Event[],
  maxDepth: number,
  maxAliasCount: number,
  lines: LineIndex,
  version11 = false,
): { value: unknown } | { issues: Issue[] } {
  const { EVENT_ID, SCALAR_STYLE } = jsYamlLibrary();
  const resolve = version11 ? resolvePlain11 : resolvePlain;
  let documents = 0;
  let root: unknown = null;
  const stack: Frame[] = [];
  const duplicates: Issue[] = [];
  /** The anchors by name (the last one defined wins), and the anchor each alias event resolved to. */
  const anchors = new Map<string, AnchorRecord>();
  const targets = new Map<number, AnchorRecord>();
  let unknownAlias: Issue | null = null;
  let aliasBomb = false;

  const place = (value: unknown): void => {
    const frame = stack[stack.length - 1];
    if (!frame) {
      root = value;
      return;
    }
    if (!frame.isMap) {
      (frame.container as unknown[]).push(value);
      return;
    }
    if (frame.pendingKey === null) {
      // `value` is a key: only scalars (resolved to their JS value) are composed here.
      throw new Unsupported("a collection as a mapping key");
    }
    setKey(frame.container as Record<string, unknown>, frame.pendingKey, value);
    frame.pendingKey = null;
  };

  const anchor = (event: { anchorStart: number; anchorEnd: number }, value: unknown, i: number) => {
    if (event.anchorStart < 0) return null;
    const record: AnchorRecord = { value, event: i, end: -1, count: 1, aliasCount: 0, zero: false };
    anchors.set(text.slice(event.anchorStart, event.anchorEnd), record);
    return record;
  };

  /** `yaml`'s getAliasCount of an anchored node, over its events. */
  const aliasCountOf = (record: AnchorRecord): number => {
    if (record.end === record.event) return 1;
    let count = 0;
    for (let j = record.event + 1; j < record.end; j++) {
      const type = events[j]!.type;
      if (type === EVENT_ID.SCALAR) count = Math.max(count, 1);
      else if (type === EVENT_ID.ALIAS) {
        // An unknown alias counts 0 in `yaml` (and the file is refused for it anyway).
        const target = targets.get(j);
        if (target) count = Math.max(count, target.count * target.aliasCount);
      }
    }
    return count;
  };

  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        documents++;
        if (documents > 1) throw new Unsupported("more than one document");
        // `%YAML 1.1` alone (plain scalars then resolved by that schema); any other directive is `yaml`'s.
        if (event.directives.length > (version11 ? 1 : 0)) throw new Unsupported("a directive");
        if (version11 && (event.directives[0] as { kind?: string; version?: string }).version !== "1.1")
          throw new Unsupported("a directive");
        break;
      case EVENT_ID.ALIAS: {
        const name = text.slice(event.anchorStart, event.anchorEnd);
        const record = anchors.get(name);
        const frame = stack[stack.length - 1];
        const isKey = frame?.isMap === true && frame.pendingKey === null;
        if (!record) {
          unknownAlias ??= { ...lines.position(event.anchorStart - 1), ...unknownAliasRefusal(name) };
          if (isKey) {
            frame.pendingKey = "";
            frame.pendingKeyEvent = i;
          } else place(null);
          break;
        }
        if (record.end < 0) throw new Unsupported("an alias inside its own anchor");
        targets.set(i, record);
        if (!aliasBomb && maxAliasCount >= 0) {
          record.count += 1;
          if (record.aliasCount === 0 && !record.zero) {
            record.aliasCount = aliasCountOf(record);
            record.zero = record.aliasCount === 0;
          }
          if (record.count * record.aliasCount > maxAliasCount) aliasBomb = true;
        }
        const value = record.value;
        if (isKey) {
          // `yaml` names a key that is an alias of a collection after the alias (`*name`), with a warning.
          if (value !== null && typeof value === "object")
            throw new Unsupported("an alias of a collection as a key");
          // An alias key takes part in no duplicate check (it is not a scalar node).
          frame.pendingKey = value === null ? "" : String(value);
          frame.pendingKeyEvent = i;
        } else place(value);
        break;
      }
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        if (event.tagStart >= 0) throw new Unsupported("a tag");
        const frame = stack[stack.length - 1];
        if (frame?.isMap && frame.pendingKey === null) throw new Unsupported("a collection as a mapping key");
        if (stack.length + 1 > maxDepth) {
          const { line, col } = lines.position(collectionStart(events, i));
          return { issues: [tooDeep(line, col, maxDepth)] };
        }
        const isMap = event.type === EVENT_ID.MAPPING;
        const container = isMap ? {} : [];
        stack.push({
          event: i,
          container,
          isMap,
          pendingKey: null,
          pendingKeyEvent: -1,
          seen: isMap ? new Map() : null,
          anchor: anchor(event, container, i),
        });
        break;
      }
      case EVENT_ID.POP: {
        const frame = stack.pop();
        if (frame) {
          if (frame.anchor) frame.anchor.end = i;
          place(frame.container);
        }
        break;
      }
      case EVENT_ID.SCALAR: {
        if (event.tagStart >= 0) throw new Unsupported("a tag");
        const source = scalarText(text, event);
        const value = event.style === SCALAR_STYLE.PLAIN ? resolve(source) : source;
        const record = anchor(event, value, i);
        if (record) record.end = i;
        const frame = stack[stack.length - 1];
        if (frame?.isMap && frame.pendingKey === null) {
          // In 1.1, `<<` merges, and a key that is a date (an object) is named by `yaml`'s stringifier.
          const merge = event.style === SCALAR_STYLE.PLAIN && source === "<<";
          if (version11 && (merge || (value !== null && typeof value === "object")))
            throw new Unsupported("a merge key or a date as a key");
          // A key. Objects (none here) and NaN never collide, as in `yaml`'s check.
          const offset = scalarStart(text, event, events[i - 1]);
          // An empty key with an anchor: `yaml` places a flow pair made of it elsewhere (seed 6).
          if (offset < 0 || (event.valueStart < 0 && event.anchorStart >= 0))
            throw new Unsupported("an empty key");
          if (!Number.isNaN(value)) {
            const first = frame.seen!.get(value);
            if (first === undefined) frame.seen!.set(value, offset);
            else {
              duplicates.push(duplicateKey(String(value), lines.position(offset), lines.position(first)));
            }
          }
          frame.pendingKey = value === null ? "" : String(value);
          frame.pendingKeyEvent = i;
        } else {
          place(value);
        }
        break;
      }
    }
  }
  // org.yaml is a mapping; a lone scalar is left to `yaml`, which reads the edge cases of scalars at the root.
  if (root === null || typeof root !== "object") throw new Unsupported("a document that is not a collection");
  // The `yaml` path's order: the parser's issues (duplicates), then an unknown alias, then too many.
  if (duplicates.length > 0) return { issues: duplicates };
  if (unknownAlias) return { issues: [unknownAlias] };
  if (aliasBomb) return { issues: [{ line: 1, col: 1, ...aliasBombRefusal(maxAliasCount) }] };
  return { value: root };
}

/**
 * Sets a key as `yaml`'s toJS does: an own property even for `__proto__`. (`yaml` defines the property when
 * `key in map`; for a plain object that differs from assigning only for `__proto__`, Object.prototype's one
 * setter: every other inherited property is a writable data property, which assignment shadows.)
 */
function setKey(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  else map[key] = value;
}

/**
 * A scalar's text as `yaml` reads it: js-yaml's, except a double-quoted scalar with an escaped line break
 * before an empty line (ESCAPED_BREAK_THEN_EMPTY), which `yaml`'s own resolver reads (CST.resolveAsScalar,
 * the code its composer runs); an error there leaves the text to `yaml`.
 */
function scalarText(text: string, event: ScalarEvent): string {
  const { SCALAR_STYLE, getScalarValue } = jsYamlLibrary();
  if (
    (event.style === SCALAR_STYLE.LITERAL_BLOCK || event.style === SCALAR_STYLE.FOLDED_BLOCK) &&
    event.valueStart >= 0
  ) {
    const source = text.slice(event.valueStart, event.valueEnd);
    if (SPACES_ONLY_LINE.test(source)) return blockScalarText(text, event, source);
  }
  if (event.style === SCALAR_STYLE.DOUBLE_QUOTED && !event.fast && event.valueStart >= 0) {
    const source = text.slice(event.valueStart - 1, event.valueEnd + 1);
    if (ESCAPED_BREAK_THEN_EMPTY.test(source)) {
      const token = { type: "double-quoted-scalar" as const, offset: 0, indent: 0, source };
      const resolved = yamlLibrary().CST.resolveAsScalar(token, true, () => {
        throw new Unsupported("a double-quoted scalar yaml refuses");
      });
      if (!resolved) throw new Unsupported("a double-quoted scalar yaml refuses");
      return resolved.value;
    }
  }
  return getScalarValue(text, event);
}

/**
 * A block scalar holding a line of spaces only, as `yaml` reads it. With an indentation indicator, js-yaml and
 * `yaml` differ there: `yaml`'s Lexer drops the scalar's last lines of spaces when they are no longer than its
 * first content line's indent (unless it keeps them, `+`), and its resolver then counts the rest from the
 * indicator. So the text js-yaml found is cut as the Lexer cuts it and resolved by `yaml`'s own resolver
 * (CST.resolveAsScalar), the indent counted as js-yaml counted it (the parent's and the indicator's).
 */
function blockScalarText(text: string, event: ScalarEvent, found: string): string {
  const { SCALAR_STYLE, CHOMPING_MODE, getScalarValue } = jsYamlLibrary();
  const headerEnd = text.lastIndexOf("\n", event.valueStart - 1);
  const header = text.slice(text.lastIndexOf("\n", headerEnd - 1) + 1, headerEnd);
  if (!INDENT_INDICATOR.test(header)) return getScalarValue(text, event);
  if (!HEADER_ALONE.test(header) || found.includes("\r")) throw new Unsupported("a block scalar header");
  let source = found;
  if (event.chomping !== CHOMPING_MODE.KEEP) {
    const first = /^( *)[^ \n]/m.exec(source);
    const indent = first ? first[1]!.length : 0;
    // The Lexer's "drop the line if last char not more indented", from the end.
    const lines = source.split("\n");
    const last = lines.pop();
    if (last !== "") throw new Unsupported("a block scalar at the end of the text");
    while (lines.length > 0 && /^ *$/.test(lines.at(-1)!) && lines.at(-1)!.length <= indent) lines.pop();
    source = lines.length > 0 ? `${lines.join("\n")}\n` : "";
  }
  const chomp =
    event.chomping === CHOMPING_MODE.KEEP ? "+" : event.chomping === CHOMPING_MODE.STRIP ? "-" : "";
  const mode = event.style === SCALAR_STYLE.LITERAL_BLOCK ? "|" : ">";
  // trimIndent is the token's indent plus the header's: js-yaml's content indent, as 1 + (indent - 1).
  const props = [{ type: "block-scalar-header" as const, offset: 0, indent: 0, source: `${mode}1${chomp}` }];
  const token = { type: "block-scalar" as const, offset: 0, indent: event.indent - 1, props, source };
  const resolved = yamlLibrary().CST.resolveAsScalar(token, true, () => {
    throw new Unsupported("a block scalar yaml refuses");
  });
  if (!resolved) throw new Unsupported("a block scalar yaml refuses");
  return resolved.value;
}

/**
 * Where `yaml` starts a scalar node: at the opening quote, at a block scalar's `|`/`>` indicator, and for an
 * empty value just after its indicator (`:` or `-`) or properties and the blanks that follow. -1 when the
 * events do not tell (an empty value after a nested collection): the caller then asks `yaml`.
 */
function scalarStart(text: string, event: ScalarEvent, previous: Event | undefined): number {
  const { EVENT_ID, SCALAR_STYLE } = jsYamlLibrary();
  if (event.valueStart < 0) return emptyStart(text, event, previous);
  switch (event.style) {
    case SCALAR_STYLE.SINGLE_QUOTED:
    case SCALAR_STYLE.DOUBLE_QUOTED:
      return event.valueStart - 1;
    case SCALAR_STYLE.LITERAL_BLOCK:
    case SCALAR_STYLE.FOLDED_BLOCK: {
      const from = previous?.type === EVENT_ID.SCALAR && previous.valueEnd >= 0 ? previous.valueEnd : -1;
      if (from < 0) return -1;
      for (let i = from; i < event.valueStart; i++) {
        const c = text.charCodeAt(i);
        if (c === 124 || c === 62) return i;
      }
      return -1;
    }
    default:
      return event.valueStart;
  }
}

/**
 * Where `yaml` starts a collection: where js-yaml does, except for a block mapping whose first key carries
 * an anchor on its own line (`&k key: 1`): `yaml` starts the mapping at the key, after the anchor.
 */
function collectionStart(events: Event[], index: number): number {
  const { COLLECTION_STYLE, EVENT_ID, SCALAR_STYLE } = jsYamlLibrary();
  const event = events[index] as MappingEvent | SequenceEvent;
  if (event.type === EVENT_ID.MAPPING && event.style === COLLECTION_STYLE.BLOCK) {
    const key = events[index + 1];
    if (key?.type === EVENT_ID.SCALAR && key.anchorStart - 1 === event.start && key.valueStart >= 0) {
      return key.style === SCALAR_STYLE.SINGLE_QUOTED || key.style === SCALAR_STYLE.DOUBLE_QUOTED
        ? key.valueStart - 1
        : key.valueStart;
    }
  }
  return event.start;
}

function emptyStart(text: string, event: ScalarEvent, previous: Event | undefined): number {
  const { EVENT_ID, SCALAR_STYLE } = jsYamlLibrary();
  let at = Math.max(event.anchorEnd, event.tagEnd);
  if (at >= 0) {
    // After an anchor, `yaml` may start the empty node on a later line (`[&a\n]`, seed 11): not told here.
    let end = at;
    while (end < text.length && (text[end] === " " || text[end] === "\t")) end++;
    if (end >= text.length || text[end] === "\n" || text[end] === "\r" || text[end] === "#") return -1;
  }
  if (at < 0) {
    if (previous?.type === EVENT_ID.SEQUENCE && text.charCodeAt(previous.start) === 45)
      at = previous.start + 1;
    else if (
      (previous?.type === EVENT_ID.SCALAR && previous.valueEnd >= 0) ||
      previous?.type === EVENT_ID.ALIAS
    ) {
      let i: number;
      if (previous.type === EVENT_ID.ALIAS) i = previous.anchorEnd;
      else {
        i = previous.valueEnd;
        if (previous.style === SCALAR_STYLE.SINGLE_QUOTED || previous.style === SCALAR_STYLE.DOUBLE_QUOTED)
          i++;
      }
      while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
      if (text[i] !== ":" && text[i] !== "-") return -1;
      at = i + 1;
    } else return -1;
  }
  while (at < text.length && (text[at] === " " || text[at] === "\t")) at++;
  return at;
}

/** Offsets of line starts, for offset → line/column by binary search. */
class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }
  position(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.starts[lo]! + 1 };
  }
}

/**
 * Navigation over the events of a composed document, built lazily per collection: the children of each
 * collection are listed the first time a path goes through it, so locating many paths costs one pass.
 */
class EventIndex {
  /** For each collection event, the index of its POP event. */
  private readonly end: Int32Array;
  private readonly children = new Map<
    number,
    { keys: Map<string, [number, number]> | null; items: number[] }
  >();
  constructor(
    private readonly text: string,
    private readonly events: Event[],
    private readonly resolve: (source: string) => unknown = resolvePlain,
  ) {
    const { EVENT_ID } = jsYamlLibrary();
    this.end = new Int32Array(events.length).fill(-1);
    const open: number[] = [];
    for (let i = 0; i < events.length; i++) {
      const type = events[i]!.type;
      if (type === EVENT_ID.MAPPING || type === EVENT_ID.SEQUENCE || type === EVENT_ID.DOCUMENT) open.push(i);
      else if (type === EVENT_ID.POP) this.end[open.pop()!] = i;
    }
  }

  /**
   * The offset of the node at `path` (its key's, `atKey`), or of the deepest existing parent; -1 for the
   * document's start, null when the events cannot tell.
   */
  locate(path: PathSegment[], atKey: boolean): number | null {
    const { EVENT_ID } = jsYamlLibrary();
    let node = this.events.findIndex((e) => e.type !== EVENT_ID.DOCUMENT);
    if (node < 0 || this.events[node]!.type === EVENT_ID.POP) return -1;
    let position = this.start(node, node - 1);
    if (position < 0) return null;
    for (let s = 0; s < path.length; s++) {
      const event = this.events[node]!;
      if (event.type === EVENT_ID.MAPPING) {
        const pair = this.list(node).keys!.get(String(path[s]));
        if (!pair) break;
        const [key, value] = pair;
        node = value;
        position = atKey && s === path.length - 1 ? this.start(key, key - 1) : this.start(value, value - 1);
      } else if (event.type === EVENT_ID.SEQUENCE) {
        const item = this.list(node).items[Number(path[s])];
        if (item === undefined) break;
        node = item;
        position = this.start(item, item - 1);
      } else break;
      if (position < 0) return null;
    }
    return position;
  }

  private start(index: number, previousIndex: number): number {
    const { EVENT_ID } = jsYamlLibrary();
    const event = this.events[index]!;
    if (event.type === EVENT_ID.SCALAR) return scalarStart(this.text, event, this.events[previousIndex]);
    if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE)
      return collectionStart(this.events, index);
    // An alias starts at its `*`; a path goes no further through it, as in `yaml`'s locatePath.
    if (event.type === EVENT_ID.ALIAS) return event.anchorStart - 1;
    return -1;
  }

  private list(index: number): { keys: Map<string, [number, number]> | null; items: number[] } {
    const { EVENT_ID, SCALAR_STYLE } = jsYamlLibrary();
    let listing = this.children.get(index);
    if (listing) return listing;
    const isMap = this.events[index]!.type === EVENT_ID.MAPPING;
    listing = { keys: isMap ? new Map() : null, items: [] };
    for (let i = index + 1; i < this.end[index]!; ) {
      listing.items.push(i);
      const event = this.events[i]!;
      i = event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE ? this.end[i]! + 1 : i + 1;
    }
    if (isMap) {
      for (let k = 0; k + 1 < listing.items.length; k += 2) {
        const keyEvent = this.events[listing.items[k]!]!;
        // `yaml`'s locatePath matches scalar keys only: an alias key is never a path's segment.
        if (keyEvent.type !== EVENT_ID.SCALAR) continue;
        const raw = scalarText(this.text, keyEvent);
        const resolved = keyEvent.style === SCALAR_STYLE.PLAIN ? this.resolve(raw) : raw;
        // Keys are matched as `yaml`'s locator matches them: String() of the value, the first pair winning.
        const name = String(resolved);
        if (!listing.keys!.has(name)) listing.keys!.set(name, [listing.items[k]!, listing.items[k + 1]!]);
      }
    }
    this.children.set(index, listing);
    return listing;
  }
}
