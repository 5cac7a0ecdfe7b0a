/**
 * The quickest reader of org.yaml: one pass over the characters of the plain block YAML that people and
 * `yaml.stringify` write (block mappings and sequences of one-line scalars, `- key: value` items, one-line
 * flow lists and maps of scalars, comments), building the value as it goes. It allocates the value and
 * little else: no events, no tokens, no substrings but the value's own. Positions are kept as offsets in one
 * typed array, and turned into lines and columns only when asked.
 *
 * It answers only where it is sure to answer as `yaml` does, and null for anything else (an anchor on a
 * collection, a tag anywhere but before a one-line scalar, a multi-line or block scalar, an indentless
 * sequence, a quoted key, an escape other than the common ones, a tab anywhere but in the blanks `yaml` reads
 * as blanks (TABS below), a carriage return, a character outside the plainly printable...): the caller then
 * reads the file with the event reader (fast-yaml.ts), which gives the same value, or `yaml`'s own refusal.
 * Plain scalars are resolved by the event reader's `resolvePlain`, the `yaml` core schema's rules. It reads
 * the document markers `%YAML 1.2`, `---` and `...` around the mapping, and anchors on one-line scalars with
 * their aliases when told the alias cap. Repeated keys are reported (the only refusal of a text it reads), as
 * the event reader reports them. Pure.
 */
import type { PathSegment } from "./fast-yaml.js";

export interface BlockRead {
  value: Record<string, unknown>;
  /**
   * The offset where the value at `path` (or its key, `atKey`) starts, or the deepest existing parent's, as
   * the event reader's locator finds it.
   */
  offsetOf(path: PathSegment[], atKey: boolean): number;
  /**
   * Keys repeated in their mapping, in the order of the text (then `value` is not the file's value): where
   * the repeat and the first of its key start.
   */
  duplicates: { key: string; offset: number; first: number }[];
}

/**
 * The `!!name` tags that resolve a one-line scalar to something other than its text: the core schema's, and
 * the two scalar tags `yaml` knows besides (`!!binary` makes a Buffer, `!!timestamp` a Date).
 */
const RESOLVED_TAGS = new Set(["int", "float", "bool", "null", "binary", "timestamp"]);
const BANG = 33;
const LESS_THAN = 60;
const CORE_PREFIX = "tag:yaml.org,2002:";
/** The characters of a tag's name read here: ASCII letters, digits, `-` and `_`. */
function isTagChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === DASH || c === 95;
}

/*
 * TABS. `yaml` reads a tab as a blank in some places and refuses it in others (`TAB_AS_INDENT`): `-\tx` is the
 * item `x`, but `-\tk: v`, `-\t- x` and `-\t!!str x` are refused, and a tab in a line's indentation is
 * either refused or makes the line part of a plain scalar. So the reader reads a copy of the text in which
 * every tab is a space (same offsets), and accepts the copy's reading only if each tab of the text sat in a
 * blank that `yaml` reads as a blank: a line of blanks or of a comment, a comment's text, the blanks before
 * a comment or the line's end, the blanks between a flow collection's brackets, commas, keys and scalars,
 * the blanks after a `key:` before its value, or those after an item's `-` before a one-line untagged value
 * that is not a key (but not the blanks of a last line without a newline, which `yaml` refuses after some
 * comment lines). Each such place marks its tabs read (`blanks`); a tab left unmarked when the reader passes
 * it (at the next line, or the end) leaves the text. A tab inside a value (quoted, plain or flow) is never
 * marked, so no value holds the copy's space.
 */

/** Thrown (one instance) where the text leaves what this reader reads; caught in readBlockYaml. */
const LEAVE = new Error("not plain block YAML");

const SPACE = 32;
const AMPERSAND = 38;
const STAR = 42;
const DOT = 46;
/** `%YAML 1.x` and `---` on the first lines, or `---` alone. */
const DOCUMENT_START = /(?:%YAML 1\.([12]) *(?: #[^\n]*)?\n)?--- *(?: #[^\n]*)?(?:\n|$)/y;
/** The document-end marker `...` (then a comment or nothing), then blank and comment lines to the end. */
const DOCUMENT_END = /\.\.\. *(?: #[^\n]*)?(?:\n *(?:#[^\n]*)?)*$/y;
const NEWLINE = 10;
const HASH = 35;
const COLON = 58;
const DASH = 45;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const BACKSLASH = 92;
const COMMA = 44;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/** A key this reader reads: ASCII letters, digits, `_` and `-`, starting with a letter or `_`. */
function isKeyStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isKeyPart(c: number): boolean {
  return isKeyStart(c) || (c >= 48 && c <= 57) || c === DASH;
}

/** Printable in every reader's sense: no control character, no surrogate, no BOM or line separator. */
function isPlainlyPrintable(c: number): boolean {
  if (c < 0x7f) return c >= SPACE;
  if (c < 0xa0) return false;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  return c !== 0xfeff && c !== 0xfffe && c !== 0xffff && c !== 0x2028 && c !== 0x2029;
}

/** What may not start a plain scalar (YAML's indicators), besides a `-` before a blank. */
function isIndicator(c: number): boolean {
  switch (c) {
    case 33: // !
    case 34: // "
    case 35: // #
    case 37: // %
    case 38: // &
    case 39: // '
    case 42: // *
    case 44: // ,
    case 58: // :
    case 62: // >
    case 63: // ?
    case 64: // @
    case 91: // [
    case 93: // ]
    case 96: // `
    case 123: // {
    case 124: // |
    case 125: // }
      return true;
    default:
      return false;
  }
}

/** Plain scalars whose resolution could give a key other than its own text (or `__proto__`, an own key). */
const PROTO = "__proto__";

export interface BlockReadOptions {
  /** Told where the line the reader left on starts (all before it was read). */
  onLeave?: (lineStart: number) => void;
  /**
   * A one-line scalar's value after an explicit tag (`!!int 5`: the tag's name and the scalar's text),
   * undefined when the tag is left to `yaml`. Without it only `!!str` is read.
   */
  resolveTagged?: (tag: string, source: string) => unknown;
  /**
   * `yaml`'s cap on aliases (toJS's maxAliasCount): with it, anchors on one-line scalars and aliases of them
   * are read, counted as `yaml` counts them; without it, any anchor or alias leaves the text.
   */
  maxAliasCount?: number;
  /**
   * The YAML version whose `%YAML` directive may start the text (the caller resolves plain scalars by that
   * version's schema); 1.2 by default.
   */
  version?: "1.1" | "1.2";
}

/**
 * Reads `text` when it is plain block YAML whose top is a mapping, collections nested at most `maxDepth`
 * levels; null otherwise. `resolvePlain` gives a plain scalar's value.
 */
export function readBlockYaml(
  text: string,
  maxDepth: number,
  resolvePlain: (source: string) => unknown,
  options: BlockReadOptions = {},
): BlockRead | null {
  const reader = new BlockReader(text, maxDepth, resolvePlain, options);
  try {
    return reader.read();
  } catch (error) {
    if (error !== LEAVE) throw error;
    options.onLeave?.(reader.leftAt());
    return null;
  }
}

/*
 * Positions: one record of 4 integers per mapping entry or sequence item, in `records`:
 * [key offset (-1 for an item), value offset, next record of the same collection (-1 at the end),
 *  first record of the value's own entries (-1 for a scalar or an empty collection)].
 */
const KEY = 0;
const VALUE = 1;
const NEXT = 2;
const CHILD = 3;

class BlockReader {
  private readonly length: number;
  private records: Int32Array;
  private used = 0;
  /** The current content line: where it starts, its indentation, where its content starts (length at the end). */
  private lineStart = 0;
  private indent = 0;
  private content = 0;
  readonly duplicates: { key: string; offset: number; first: number }[] = [];
  /** Per depth, the keys of the mapping read last there, in order. */
  private readonly keysAt: string[][] = [];
  /** The first record of the collection read last (-1 when empty). */
  private firstRecord = -1;
  /** Where the line of the inline value read last ends (its newline, or the text's length). */
  private lineEnd = 0;
  /** The text read: the given one, with every tab a space (TABS). */
  private readonly text: string;
  /** The offsets of the given text's tabs, in order, and how many of them have been read as blanks. */
  private readonly tabs: Int32Array;
  private tabsRead = 0;

  private readonly resolveTagged?: (tag: string, source: string) => unknown;
  private readonly maxAliasCount?: number;
  private readonly version: "1.1" | "1.2";
  /** The scalars anchored so far, by name (the last of a name wins), and how often each was counted. */
  private readonly anchors = new Map<string, { value: unknown; count: number }>();

  constructor(
    given: string,
    private readonly maxDepth: number,
    private readonly resolvePlain: (source: string) => unknown,
    options: BlockReadOptions,
  ) {
    this.resolveTagged = options.resolveTagged;
    this.maxAliasCount = options.maxAliasCount;
    this.version = options.version ?? "1.2";
    this.length = given.length;
    this.records = new Int32Array(Math.max(64, (given.length >> 3) & ~3));
    this.tabs = tabOffsets(given);
    this.text = this.tabs.length > 0 ? given.replaceAll("\t", " ") : given;
  }

  /**
   * The blanks (or comment) from `from` to `to` are read as blanks, as `yaml` reads them: their tabs are read.
   * A tab before `from` not read yet leaves the text.
   */
  private blanks(from: number, to: number): void {
    const { tabs } = this;
    while (this.tabsRead < tabs.length && tabs[this.tabsRead]! < to) {
      if (tabs[this.tabsRead]! < from) throw LEAVE;
      this.tabsRead++;
    }
  }

  /** Leaves the text if a tab before `at` was not read as a blank. */
  private noTabBefore(at: number): void {
    if (this.tabsRead < this.tabs.length && this.tabs[this.tabsRead]! < at) throw LEAVE;
  }

  /** Where the line being read starts (where the reader left, after a LEAVE). */
  leftAt(): number {
    return this.lineStart;
  }

  read(): BlockRead {
    const { text } = this;
    // A carriage return or a BOM anywhere, or nothing but a mapping at the top: the event reader's.
    if (text.includes("\r") || text.charCodeAt(0) === 0xfeff) throw LEAVE;
    // `%YAML` of the version read and `---` first are nothing to the value (a tab there is left unread).
    DOCUMENT_START.lastIndex = 0;
    const start = DOCUMENT_START.exec(text);
    const version = start?.[1] === undefined ? undefined : `1.${start[1]}`;
    if (version !== undefined && version !== this.version) throw LEAVE;
    if (this.version !== "1.2" && version === undefined) throw LEAVE;
    this.nextContent(start ? DOCUMENT_START.lastIndex : 0);
    if (this.content >= this.length || !this.startsKey(this.content)) throw LEAVE;
    const rootStart = this.content;
    const rootIndent = this.indent;
    const value = this.readMap(rootIndent, 1);
    const rootFirst = this.firstRecord;
    // Anything left over is less indented than the top mapping.
    if (this.content < this.length) throw LEAVE;
    this.noTabBefore(this.length);
    const records = this.records;
    const sequences = new Map<number, Int32Array>();
    return {
      value,
      duplicates: this.duplicates,
      offsetOf: (path, atKey) => {
        let position = rootStart;
        let first = rootFirst;
        for (let s = 0; s < path.length; s++) {
          if (first < 0) break;
          let record = -1;
          if (records[first + KEY]! >= 0) {
            const name = String(path[s]);
            for (let r = first; r >= 0; r = records[r + NEXT]!) {
              const at = records[r + KEY]!;
              if (text.startsWith(name, at) && text.charCodeAt(at + name.length) === COLON) {
                record = r;
                break;
              }
            }
            if (record < 0) break;
            position = atKey && s === path.length - 1 ? records[record + KEY]! : records[record + VALUE]!;
          } else {
            const index = Number(path[s]);
            if (!Number.isInteger(index) || index < 0) break;
            let items = sequences.get(first);
            if (!items) {
              let count = 0;
              for (let r = first; r >= 0; r = records[r + NEXT]!) count++;
              items = new Int32Array(count);
              for (let r = first, i = 0; r >= 0; r = records[r + NEXT]!) items[i++] = r;
              sequences.set(first, items);
            }
            if (index >= items.length) break;
            record = items[index]!;
            position = records[record + VALUE]!;
          }
          first = records[record + CHILD]!;
        }
        return position;
      },
    };
  }

  private record(key: number, value: number, previous: number): number {
    if (this.used + 4 > this.records.length) {
      const grown = new Int32Array(this.records.length * 2);
      grown.set(this.records);
      this.records = grown;
    }
    const r = this.used;
    this.used += 4;
    this.records[r + KEY] = key;
    this.records[r + VALUE] = value;
    this.records[r + NEXT] = -1;
    this.records[r + CHILD] = -1;
    if (previous >= 0) this.records[previous + NEXT] = r;
    return r;
  }

  /** Moves to the next line holding content, from the line starting at `from`: blank and comment lines skipped. */
  private nextContent(from: number): void {
    const { text, length } = this;
    let p = from;
    while (p < length) {
      let q = p;
      while (q < length && text.charCodeAt(q) === SPACE) q++;
      if (q >= length) {
        // A last line of blanks with no newline: `yaml` refuses a tab there after some comment lines
        // (TAB_AS_INDENT at the end of the text), so such a tab is left unread.
        this.noTabBefore(length);
        break;
      }
      const c = text.charCodeAt(q);
      if (c === NEWLINE) {
        this.blanks(p, q);
        p = q + 1;
        continue;
      }
      if (c === HASH) {
        const end = text.indexOf("\n", q);
        this.blanks(p, end < 0 ? length : end);
        if (end < 0) break;
        p = end + 1;
        continue;
      }
      // `...` at the line's start ends the document: only blank and comment lines may follow.
      if (q === p && c === DOT && this.endsDocument(q)) break;
      this.lineStart = p;
      this.indent = q - p;
      this.content = q;
      // A tab in the indentation, or one left unread on an earlier line.
      this.noTabBefore(q);
      return;
    }
    this.lineStart = length;
    this.indent = -1;
    this.content = length;
  }

  /**
   * Whether the line at `at` is the document-end marker (`...`, then a comment or nothing) followed by blank
   * and comment lines only. A tab from there on is left unread.
   */
  private endsDocument(at: number): boolean {
    DOCUMENT_END.lastIndex = at;
    if (!DOCUMENT_END.test(this.text)) return false;
    this.noTabBefore(this.length);
    return true;
  }

  /** Whether a `key:` followed by a blank or the line's end starts at `at`. */
  private startsKey(at: number): boolean {
    const { text } = this;
    if (!isKeyStart(text.charCodeAt(at))) return false;
    let k = at + 1;
    while (isKeyPart(text.charCodeAt(k))) k++;
    if (text.charCodeAt(k) !== COLON) return false;
    const after = text.charCodeAt(k + 1);
    return after === SPACE || after === NEWLINE || k + 1 >= this.length;
  }

  /** A key at `at` (startsKey is true there): its text, and the offset just after its colon. */
  private key(at: number): string {
    const { text } = this;
    let k = at + 1;
    while (isKeyPart(text.charCodeAt(k))) k++;
    // `yaml` refuses an implicit key longer than 1024 characters.
    if (k - at > 1000) throw LEAVE;
    const key = text.slice(at, k);
    if (key === PROTO || this.resolvePlain(key) !== key) throw LEAVE;
    return key;
  }

  /** A block mapping whose keys sit at column `indent`; the current line's content is its first key. */
  private readMap(indent: number, depth: number): Record<string, unknown> {
    if (depth > this.maxDepth) throw LEAVE;
    const { text } = this;
    const map: Record<string, unknown> = {};
    let first = -1;
    let previous = -1;
    // The keys of the last mapping read at this depth: the mappings of a list mostly repeat them in order
    // (users), and a key found here is neither sliced nor resolved again.
    this.keysAt[depth] ??= [];
    const known = this.keysAt[depth];
    for (let k = 0; ; k++) {
      const keyAt = this.content;
      let key = known[k];
      if (
        key === undefined ||
        !text.startsWith(key, keyAt) ||
        text.charCodeAt(keyAt + key.length) !== COLON ||
        !this.blankOrEnd(keyAt + key.length + 1)
      ) {
        if (!this.startsKey(keyAt)) throw LEAVE;
        key = this.key(keyAt);
        known[k] = key;
      }
      if (map[key] !== undefined) this.repeated(map, key, keyAt, first);
      const colon = keyAt + key.length;
      const r = this.record(keyAt, -1, previous);
      if (first < 0) first = r;
      previous = r;
      let v = colon + 1;
      while (v < this.length && text.charCodeAt(v) === SPACE) v++;
      // `key:\tvalue` is `key: value` to `yaml`, whatever the value.
      this.blanks(colon + 1, v);
      const c = v < this.length ? text.charCodeAt(v) : NEWLINE;
      let value: unknown;
      if (c === NEWLINE || c === HASH) {
        // Nothing on the line: a nested block below, or null (placed where the event reader places it).
        const end = text.indexOf("\n", v);
        this.blanks(v, end < 0 ? this.length : end);
        this.nextContent(end < 0 ? this.length : end + 1);
        if (this.content < this.length && this.indent > indent) {
          this.records[r + VALUE] = this.content;
          value = this.readNested(depth + 1);
          this.records[r + CHILD] = this.firstRecord;
        } else {
          // An indentless sequence (`key:` then `- item` at the key's column) is the event reader's.
          if (this.indent === indent && this.startsItem(this.content)) throw LEAVE;
          this.records[r + VALUE] = v;
          value = null;
        }
      } else {
        value = this.oneLine(v, depth + 1, r);
        this.nextContent(this.lineEnd + 1);
      }
      map[key] = value;
      if (this.content >= this.length || this.indent < indent) break;
      if (this.indent > indent) throw LEAVE;
    }
    this.firstRecord = first;
    return map;
  }

  /**
   * A key met again in its mapping (whose records start at `first`): a duplicate, noted, and the reading goes
   * on, as the event reader's goes on to report every duplicate. One of Object.prototype's names is left to it.
   */
  private repeated(map: Record<string, unknown>, key: string, offset: number, first: number): void {
    if (!Object.hasOwn(map, key)) throw LEAVE;
    const { text, records } = this;
    for (let r = first; r >= 0; r = records[r + NEXT]!) {
      const at = records[r + KEY]!;
      if (text.startsWith(key, at) && text.charCodeAt(at + key.length) === COLON) {
        this.duplicates.push({ key, offset, first: at });
        return;
      }
    }
    throw LEAVE;
  }

  /** Whether `at` holds a blank or a newline, or is the text's end. */
  private blankOrEnd(at: number): boolean {
    const c = this.text.charCodeAt(at);
    return c === SPACE || c === NEWLINE || at >= this.length;
  }

  private startsItem(at: number): boolean {
    if (this.text.charCodeAt(at) !== DASH) return false;
    const after = this.text.charCodeAt(at + 1);
    return after === SPACE || after === NEWLINE || at + 1 >= this.length;
  }

  /**
   * The collection starting on the current line (more indented than its key): a block one, or a one-line
   * flow one (`yaml.stringify` writes an empty list there, `key:` then `[]` below).
   */
  private readNested(depth: number): unknown {
    if (this.startsItem(this.content)) return this.readSequence(this.indent, depth);
    const c = this.text.charCodeAt(this.content);
    if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      const indent = this.indent;
      const value = this.inline(this.content, depth);
      const first = this.firstRecord;
      this.nextContent(this.lineEnd + 1);
      // What follows is a sibling of its key or less indented, never more than the collection.
      if (this.content < this.length && this.indent >= indent) throw LEAVE;
      this.firstRecord = first;
      return value;
    }
    return this.readMap(this.indent, depth);
  }

  /** A block sequence whose dashes sit at column `indent`; the current line's content is its first dash. */
  private readSequence(indent: number, depth: number): unknown[] {
    if (depth > this.maxDepth) throw LEAVE;
    const { text } = this;
    const list: unknown[] = [];
    let first = -1;
    let previous = -1;
    for (;;) {
      const dash = this.content;
      if (text.charCodeAt(dash) !== DASH || text.charCodeAt(dash + 1) !== SPACE) throw LEAVE;
      let v = dash + 2;
      while (v < this.length && text.charCodeAt(v) === SPACE) v++;
      const c = v < this.length ? text.charCodeAt(v) : NEWLINE;
      // An empty item, an item on the lines below, or a nested `- -`: the event reader's.
      if (c === NEWLINE || c === HASH || this.startsItem(v)) throw LEAVE;
      const r = this.record(-1, v, previous);
      if (first < 0) first = r;
      previous = r;
      let value: unknown;
      if (this.startsKey(v)) {
        // `- key: value`: a mapping whose keys sit at the column of this first one.
        this.content = v;
        this.indent = v - this.lineStart;
        value = this.readMap(this.indent, depth + 1);
        this.records[r + CHILD] = this.firstRecord;
      } else {
        // A tab after the dash is a blank before a one-line value that is not a key, and refused
        // (TAB_AS_INDENT) before a key, a tag or an anchor: left unread there, it leaves the text.
        if (c !== BANG && c !== AMPERSAND) this.blanks(dash + 1, v);
        value = this.oneLine(v, depth + 1, r);
        this.nextContent(this.lineEnd + 1);
      }
      list.push(value);
      if (this.content >= this.length || this.indent < indent) break;
      if (this.indent > indent) throw LEAVE;
    }
    this.firstRecord = first;
    return list;
  }

  /**
   * The value that starts at `v` after a key or an item's dash and ends on its line: an alias, an anchored
   * scalar, a tagged one, or `inline`'s. Placed in record `r` where `yaml` places the node: after its anchor
   * or tag and their blanks, or at an alias's `*`.
   */
  private oneLine(v: number, depth: number, r: number): unknown {
    const c = this.text.charCodeAt(v);
    if (c === STAR || c === AMPERSAND) {
      // Anchors and aliases only where the caller counts aliases as `yaml` does (maxAliasCount).
      if (this.maxAliasCount === undefined) throw LEAVE;
      const nameEnd = this.anchorName(v + 1);
      const name = this.text.slice(v + 1, nameEnd);
      if (c === STAR) {
        // An alias of a scalar anchored before it: its value, counted as `yaml`'s Alias.resolve counts it
        // (the anchor 1, each alias 1 more); past the cap, or an alias of anything else, the event reader's.
        const anchor = this.anchors.get(name);
        if (!anchor || ++anchor.count > this.maxAliasCount) throw LEAVE;
        this.records[r + VALUE] = v;
        this.firstRecord = -1;
        this.lineEnd = this.restOfLine(nameEnd);
        return anchor.value;
      }
      // `&name scalar`: a one-line plain or quoted scalar (a tag, a collection or nothing after it is left).
      let at = nameEnd;
      while (this.text.charCodeAt(at) === SPACE) at++;
      this.blanks(nameEnd, at);
      const next = this.text.charCodeAt(at);
      if (at === nameEnd || next === BANG || next === OPEN_BRACKET || next === OPEN_BRACE) throw LEAVE;
      this.records[r + VALUE] = at;
      const value = this.inline(at, depth);
      this.anchors.set(name, { value, count: 1 });
      return value;
    }
    let at = v;
    const tagged = this.tagAt(v);
    if (tagged >= 0) at = tagged;
    this.records[r + VALUE] = at;
    const value = this.tagged(this.inline(at, depth, tagged >= 0), tagged);
    this.records[r + CHILD] = this.firstRecord;
    return value;
  }

  /** The end of an anchor's or alias's name starting at `at`: ASCII letters, digits, `-` and `_`, then a blank. */
  private anchorName(at: number): number {
    let end = at;
    while (end < this.length && isTagChar(this.text.charCodeAt(end))) end++;
    if (end === at || !this.blankOrEnd(end)) throw LEAVE;
    return end;
  }

  /** The name of the core tag read last by `tagAt` (`str`, `int`...). */
  private tagName = "";

  /**
   * Where the value after a tag starts (`key: !!str 5`, `- !!int 007`, `k: !local x`, a verbatim
   * `!<tag:yaml.org,2002:str>`), or -1 when there is
   * no tag; sets `tagName`. `yaml` places such a node after the tag and its blanks. Only a one-line plain or
   * quoted scalar is read so (`inline` with `asString`, then `tagged`); a tagged collection or empty value,
   * or a tag of other characters, is left to `yaml` (`!` is an indicator to `inline`). Without
   * `resolveTagged`, only `!!str`.
   */
  private tagAt(at: number): number {
    const { text } = this;
    if (text.charCodeAt(at) !== BANG) return -1;
    let name: string;
    let n: number;
    if (text.charCodeAt(at + 1) === LESS_THAN) {
      // A verbatim tag: a core one by its full name, or a local or other URI (the text, as `yaml` warns).
      const close = text.indexOf(">", at + 2);
      const uri = close < 0 ? "" : text.slice(at + 2, close);
      if (uri.startsWith(CORE_PREFIX)) name = uri.slice(CORE_PREFIX.length);
      else if (/^(?:![A-Za-z0-9_-]+|tag:[A-Za-z0-9.,:/_-]+)$/.test(uri)) name = "!";
      else return -1;
      n = close + 1;
      if (name !== "!" && name !== "str" && !RESOLVED_TAGS.has(name)) return -1;
    } else {
      const secondary = text.charCodeAt(at + 1) === BANG;
      n = at + (secondary ? 2 : 1);
      while (n < this.length && isTagChar(text.charCodeAt(n))) n++;
      name = secondary ? text.slice(at + 2, n) : `!${text.slice(at + 1, n)}`;
      // Other secondary tags (`!!set`, `!!omap`: collections) are `yaml`'s.
      if (secondary && name !== "str" && !RESOLVED_TAGS.has(name)) return -1;
    }
    if (name !== "str" && this.resolveTagged === undefined) return -1;
    if (text.charCodeAt(n) !== SPACE) return -1;
    let v = n + 1;
    while (text.charCodeAt(v) === SPACE) v++;
    const c = v < this.length ? text.charCodeAt(v) : NEWLINE;
    if (c === NEWLINE || c === HASH || c === OPEN_BRACKET || c === OPEN_BRACE) throw LEAVE;
    // `!!str\tx` is `!!str x` to `yaml`.
    this.blanks(n, v);
    this.tagName = name;
    return v;
  }

  /**
   * A tagged scalar's value from its text (`inline` read it as a string), as `yaml` resolves the tag: a core
   * or known tag by its resolver (`resolveTagged`); `!!str`, the non-specific `!` and a local tag (`!local`) as the
   * text itself (`yaml` warns that it does not know a local tag, and orgctl reads warnings as nothing).
   */
  private tagged(source: unknown, at: number): unknown {
    if (at < 0 || !RESOLVED_TAGS.has(this.tagName)) return source;
    const value = this.resolveTagged!(this.tagName, source as string);
    if (value === undefined) throw LEAVE;
    return value;
  }

  /**
   * A value that ends on its line: a scalar, or a one-line flow list or map of scalars. Sets `lineEnd`, and
   * `firstRecord` (-1 for a scalar). `asString`: a plain scalar is the text read, not resolved (a `!!str`).
   */
  private inline(at: number, depth: number, asString = false): unknown {
    const { text } = this;
    const c = text.charCodeAt(at);
    let value: unknown;
    let end: number;
    this.firstRecord = -1;
    if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
      end = this.quoted(at);
      value = this.quotedValue;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (depth > this.maxDepth) throw LEAVE;
      end = c === OPEN_BRACKET ? this.flowList(at) : this.flowMap(at);
      value = this.flowValue;
    } else {
      // A plain scalar: to the line's end or a comment, never holding `: `, a flow bracket or an odd character.
      if (isIndicator(c)) throw LEAVE;
      if (c === DASH) {
        const after = text.charCodeAt(at + 1);
        if (after === SPACE || after === NEWLINE || at + 1 >= this.length) throw LEAVE;
      }
      // Most values hold none of `:`, `#`, a bracket or an odd character: one native match finds their end.
      PLAIN_RUN.lastIndex = at;
      PLAIN_RUN.test(text);
      let p = PLAIN_RUN.lastIndex;
      let last = p - 1;
      if (p >= this.length || text.charCodeAt(p) === NEWLINE) {
        while (text.charCodeAt(last) === SPACE) last--;
        p = p >= this.length ? this.length : p;
      } else {
        p = at;
        last = at;
      }
      for (; p < this.length; p++) {
        const ch = text.charCodeAt(p);
        if (ch === NEWLINE) break;
        if (ch === SPACE) {
          if (text.charCodeAt(p + 1) === HASH) break;
          continue;
        }
        if (ch === COLON) {
          const after = text.charCodeAt(p + 1);
          if (after === SPACE || after === NEWLINE || p + 1 >= this.length) throw LEAVE;
        } else if (
          ch === OPEN_BRACKET ||
          ch === CLOSE_BRACKET ||
          ch === OPEN_BRACE ||
          ch === CLOSE_BRACE ||
          !isPlainlyPrintable(ch)
        ) {
          throw LEAVE;
        }
        last = p;
      }
      // The blanks after the scalar, before a comment or the line's end, are not the scalar's.
      this.blanks(last + 1, p);
      const source = text.slice(at, last + 1);
      value = asString ? source : this.resolvePlain(source);
      end = p;
    }
    this.lineEnd = this.restOfLine(end);
    return value;
  }

  /** After a value: blanks, then a comment (after at least one blank) or the line's end. Returns the newline. */
  private restOfLine(from: number): number {
    const { text } = this;
    let p = from;
    while (p < this.length && text.charCodeAt(p) === SPACE) p++;
    if (p >= this.length) {
      this.blanks(from, this.length);
      return this.length;
    }
    const c = text.charCodeAt(p);
    if (c === NEWLINE) {
      this.blanks(from, p);
      return p;
    }
    if (c === HASH && p > from) {
      const end = text.indexOf("\n", p);
      this.blanks(from, end < 0 ? this.length : end);
      return end < 0 ? this.length : end;
    }
    throw LEAVE;
  }

  private quotedValue = "";

  /** A one-line quoted scalar at `at`: sets quotedValue; returns the offset after its closing quote. */
  private quoted(at: number): number {
    const { text } = this;
    const quote = text.charCodeAt(at);
    let value = "";
    let from = at + 1;
    let p = from;
    for (;;) {
      if (p >= this.length) throw LEAVE;
      const c = text.charCodeAt(p);
      if (c === quote) {
        if (quote === SINGLE_QUOTE && text.charCodeAt(p + 1) === SINGLE_QUOTE) {
          value += text.slice(from, p + 1);
          p += 2;
          from = p;
          continue;
        }
        break;
      }
      if (quote === DOUBLE_QUOTE && c === BACKSLASH) {
        const escaped = ESCAPES[text.charAt(p + 1)];
        if (escaped === undefined) throw LEAVE;
        value += text.slice(from, p) + escaped;
        p += 2;
        from = p;
        continue;
      }
      if (!isPlainlyPrintable(c)) throw LEAVE;
      p++;
    }
    this.quotedValue = from === at + 1 ? text.slice(from, p) : value + text.slice(from, p);
    return p + 1;
  }

  private flowValue: unknown = null;

  /** `[a, "b", 1]` on one line, scalars only: sets flowValue and firstRecord; returns the offset after `]`. */
  private flowList(at: number): number {
    const { text } = this;
    const list: unknown[] = [];
    let first = -1;
    let previous = -1;
    let p = this.skipSpaces(at + 1);
    if (text.charCodeAt(p) === CLOSE_BRACKET) {
      this.flowValue = list;
      this.firstRecord = -1;
      return p + 1;
    }
    for (;;) {
      const r = this.record(-1, p, previous);
      if (first < 0) first = r;
      previous = r;
      p = this.flowScalar(p, CLOSE_BRACKET);
      list.push(this.flowScalarValue);
      p = this.skipSpaces(p);
      const c = text.charCodeAt(p);
      if (c === CLOSE_BRACKET) break;
      if (c !== COMMA) throw LEAVE;
      p = this.skipSpaces(p + 1);
    }
    this.flowValue = list;
    this.firstRecord = first;
    return p + 1;
  }

  /** `{a: 1, b: "x"}` on one line, plain keys and scalar values: as flowList. */
  private flowMap(at: number): number {
    const { text } = this;
    const map: Record<string, unknown> = {};
    let first = -1;
    let previous = -1;
    let p = this.skipSpaces(at + 1);
    if (text.charCodeAt(p) === CLOSE_BRACE) {
      this.flowValue = map;
      this.firstRecord = -1;
      return p + 1;
    }
    for (;;) {
      // `key: value`, the colon right after the key and a blank after it.
      if (!isKeyStart(text.charCodeAt(p))) throw LEAVE;
      let k = p + 1;
      while (isKeyPart(text.charCodeAt(k))) k++;
      if (text.charCodeAt(k) !== COLON || text.charCodeAt(k + 1) !== SPACE) throw LEAVE;
      const key = this.key(p);
      if (map[key] !== undefined) this.repeated(map, key, p, first);
      const v = this.skipSpaces(k + 1);
      const r = this.record(p, v, previous);
      if (first < 0) first = r;
      previous = r;
      p = this.flowScalar(v, CLOSE_BRACE);
      map[key] = this.flowScalarValue;
      p = this.skipSpaces(p);
      const c = text.charCodeAt(p);
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) throw LEAVE;
      p = this.skipSpaces(p + 1);
    }
    this.flowValue = map;
    this.firstRecord = first;
    return p + 1;
  }

  private flowScalarValue: unknown = null;

  /** A scalar inside a flow collection closed by `close`: sets flowScalarValue, returns the offset after it. */
  private flowScalar(at: number, close: number): number {
    const { text } = this;
    const c = text.charCodeAt(at);
    if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
      const end = this.quoted(at);
      this.flowScalarValue = this.quotedValue;
      return end;
    }
    // Plain, in flow: no indicator first, and no `:`, `#`, bracket or comma inside.
    if (isIndicator(c) || c === DASH || c === SPACE || c === NEWLINE || at >= this.length) throw LEAVE;
    let p = at;
    let last = at;
    for (; p < this.length; p++) {
      const ch = text.charCodeAt(p);
      if (ch === COMMA || ch === close) break;
      if (ch === SPACE) continue;
      if (
        ch === NEWLINE ||
        ch === COLON ||
        ch === HASH ||
        ch === OPEN_BRACKET ||
        ch === CLOSE_BRACKET ||
        ch === OPEN_BRACE ||
        ch === CLOSE_BRACE ||
        !isPlainlyPrintable(ch)
      )
        throw LEAVE;
      last = p;
    }
    this.flowScalarValue = this.resolvePlain(text.slice(at, last + 1));
    return last + 1;
  }

  /** Past the blanks inside a flow collection, where `yaml` reads a tab as a blank too. */
  private skipSpaces(from: number): number {
    let p = from;
    while (p < this.length && this.text.charCodeAt(p) === SPACE) p++;
    this.blanks(from, p);
    return p;
  }
}

/** The offsets of the tabs in `text`, in order. */
function tabOffsets(text: string): Int32Array {
  let count = 0;
  for (let at = text.indexOf("\t"); at >= 0; at = text.indexOf("\t", at + 1)) count++;
  const offsets = new Int32Array(count);
  for (let at = text.indexOf("\t"), i = 0; at >= 0; at = text.indexOf("\t", at + 1)) offsets[i++] = at;
  return offsets;
}

/**
 * A run of characters a plain scalar may hold anywhere: not a newline, `:`, `#`, a bracket, or a character
 * isPlainlyPrintable refuses. Sticky: matched from a value's start.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the run must stop at
const PLAIN_RUN = /[^\n:#[\]{}\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\ufeff\ufffe\uffff]*/y;

/** The escapes of a double-quoted scalar read here; any other is left to the event reader. */
const ESCAPES: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  "\\": "\\",
  '"': '"',
  n: "\n",
  t: "\t",
});
