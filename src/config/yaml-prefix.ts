/**
 * A large file with many problems in its first part is refused with those problems, read from a prefix,
 * without reading the rest: `yaml` reads a file holding an error on every line at about 2 MB/s (it builds an
 * error object for each), and orgctl prints only the first MAX_ISSUES_PRINTED of them anyway. The answer says
 * that the file was not read past the prefix (the `not_read` issue, last), so the user fixes what is shown
 * and runs again; the problems shown are exactly those `yaml` gives for the whole file before that point.
 *
 * Why the prefix's problems before its last item are the whole file's, given the checks below on the
 * prefix's syntax tree and on the first line after it (the cut line):
 * - `yaml`'s Lexer and Parser read line by line; past a line's end they look only at the next content line's
 *   indentation and first characters (does a plain or block scalar go on?), and a quoted scalar or a flow
 *   collection reads on to its closing character whatever the lines. The checks prove that at the cut
 *   nothing is open but block collections: the prefix is one document whose last nodes down from its root
 *   are block mappings and sequences, the innermost one's last item holding at most a closed node (a quoted
 *   scalar ending in its quote, a flow collection ending in its bracket, a plain or block scalar, an alias)
 *   and no explicit `?` key. The cut line is a content line indented no more than that innermost
 *   collection, neither a document marker nor a tab; and the Lexer reads the prefix into the same lexemes
 *   with the cut line after it as without: no scalar of the prefix goes on into it (in a broken file the
 *   Lexer's own indentation can differ from the tree's). So both texts have the same tokens up to the cut.
 * - The Composer walks the tree in order and reports each item's problems as it composes it, at places inside
 *   the item; what it reports at a collection's or the document's end is placed at that end, which is the
 *   cut in the prefix and later in the whole file. orgctl's own checks on `yaml`'s tree (duplicate keys,
 *   placed at the repeat; unknown aliases) are placed at what they find, and are the same before the cut.
 *   But a later line can change what an open collection is, and report that at its start or at its open
 *   item's (a key after a sequence at the sequence's indent makes the sequence a key: "All mapping items
 *   must start at the same column", at the sequence). So the problems shown are those placed before the
 *   innermost collection's last item, and not at the start of any collection or item still open at the cut.
 * - That argument is not a proof of `yaml`'s error recovery in a file broken on many lines, which can reach
 *   back: so a second prefix, a quarter longer, must show the very same problems in that part. The
 *   differential test (test/config/yaml-prefix.test.ts) compares the answer with `yaml` on the whole text;
 *   without the second prefix it found files where the whole text has more problems there (9 in about 20,000
 *   answered), with it none, and never a problem the whole text does not have.
 * - Nesting past the cap: `yaml`'s reading refuses it alone (too_deep), before composing, at the first
 *   crossing in the text (firstTooDeep). A prefix whose answer that is, found again in the longer prefix, is
 *   the whole file's answer: the crossing's ancestors all start before it. The other way round is the one
 *   difference allowed, and said: a prefix answered with its problems when the whole file nests past the
 *   cap after the cut; that refusal comes once the problems shown are fixed.
 * Pure.
 */
import type { CST } from "yaml";
import { ConfigInvalidError, type ConfigIssue } from "./model.js";
import { yamlLibrary } from "./yaml-library.js";

export interface PrefixOptions {
  /** The prefix is the text up to the first suitable line at or after this many bytes. */
  minBytes?: number;
  /** At least this many problems before the cut, or the whole file is read. */
  minIssues?: number;
}

/** Problems a prefix must show to answer for the file: as many as the CLI prints (src/cli/errors.ts). */
export const PREFIX_MIN_ISSUES = 50;

export interface PrefixRefusal {
  /** The problems the prefix proves (`shown`), then the not_read issue at the cut line. */
  issues: ConfigIssue[];
  /**
   * Whether a problem at `line`:`col` is one the prefix proves: before the innermost collection's last item,
   * and not at the start of a collection or an item that goes on past the cut (a later line can add a
   * problem there: a sequence that a later key makes a mapping's key).
   */
  shown(line: number, col: number): boolean;
  /** The cut line: the first line not read. */
  cutLine: number;
}

/**
 * The refusal of `text` read from a prefix with `read` (the `yaml` reader, which throws ConfigInvalidError),
 * or null when the prefix does not prove it (accepted, too few problems, something left open at the cut, or
 * a longer prefix that reads the same part otherwise).
 */
export function prefixRefusal(
  text: string,
  file: string,
  read: (prefix: string) => unknown,
  options: PrefixOptions = {},
): PrefixRefusal | null {
  const { minBytes = 64 * 1024, minIssues = PREFIX_MIN_ISSUES } = options;
  const first = readPrefix(text, read, minBytes);
  if (!first) return null;
  // Nesting past the cap in the prefix, found again in a longer one: the whole file's very answer (the first
  // crossing in the text; its ancestors all start before it).
  const deep = first.issues.length === 1 && first.issues[0]!.code === "too_deep" ? first.issues[0]! : null;
  if (deep) {
    const second = readPrefix(text, read, first.cut + Math.max(256, first.cut >> 2));
    if (second?.issues.length !== 1 || !sameIssue(second.issues[0]!, deep)) return null;
    return { issues: [deep], shown: () => true, cutLine: lineOf(text, first.cut) };
  }
  const kept = first.issues.filter((issue) => first.shown(issue.line, issue.col));
  if (kept.length < minIssues) return null;
  // The same problems in that part of a prefix a quarter longer: what `yaml` reports there does not wait on
  // the lines just after the cut (in a file broken on many lines its recovery can reach back a few lines).
  const second = readPrefix(text, read, first.cut + Math.max(256, first.cut >> 2));
  if (!second) return null;
  const again = second.issues.filter((issue) => first.shown(issue.line, issue.col));
  if (again.length !== kept.length || again.some((issue, i) => !sameIssue(issue, kept[i]!))) return null;
  return {
    issues: [
      ...kept,
      {
        file,
        line: lineOf(text, first.cut),
        col: 1,
        code: "not_read",
        message: `the file was not read from here on: fix the ${kept.length} problem(s) above and run again`,
        path: "",
        severity: "error",
      },
    ],
    shown: first.shown,
    cutLine: lineOf(text, first.cut),
  };
}

function sameIssue(a: ConfigIssue, b: ConfigIssue): boolean {
  return a.line === b.line && a.col === b.col && a.code === b.code && a.message === b.message;
}

/**
 * The prefix of `text` cut at the first suitable line after `from`, read: its problems, and which of them it
 * proves (`shown`); null when it is accepted or something is left open at the cut.
 */
function readPrefix(
  text: string,
  read: (prefix: string) => unknown,
  from: number,
): { cut: number; issues: ConfigIssue[]; shown: (line: number, col: number) => boolean } | null {
  const cut = contentLineAfter(text, from);
  if (cut < 0) return null;
  const prefix = text.slice(0, cut);
  const { Parser } = yamlLibrary();
  const open = innermostAtEnd([...new Parser().parse(prefix)]);
  if (!open || indentAt(text, cut) > open.indent) return null;
  // The cut line changes none of the prefix's tokens (no scalar of the prefix goes on into it).
  const cutLineEnd = text.indexOf("\n", cut);
  if (!sameTokensBefore(prefix, cutLineEnd < 0 ? text : text.slice(0, cutLineEnd + 1))) return null;
  let issues: ConfigIssue[];
  try {
    read(prefix);
    return null;
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    issues = error.issues;
  }
  const before = lineOf(text, open.lastItem);
  const starts = new Set(open.starts.map((offset) => position(text, offset)));
  return { cut, issues, shown: (line, col) => line < before && !starts.has(`${line}:${col}`) };
}

/**
 * The start of the first content line (not blank, not a comment) at or after `from`'s line end that starts
 * with spaces and then neither a tab nor a document marker; -1 when there is none before the text's end.
 */
function contentLineAfter(text: string, from: number): number {
  let at = text.indexOf("\n", from) + 1;
  while (at > 0 && at < text.length) {
    let p = at;
    while (text.charCodeAt(p) === 32) p++;
    const c = text.charCodeAt(p);
    if (c === 9 || c === 13) return -1;
    if (c !== 10 && c !== 35 && p < text.length) {
      if (p === at && (text.startsWith("---", at) || text.startsWith("...", at))) return -1;
      return at;
    }
    at = text.indexOf("\n", p) + 1;
  }
  return -1;
}

/** Whether `yaml`'s Lexer reads `prefix` into the very lexemes it reads at the start of `longer`. */
function sameTokensBefore(prefix: string, longer: string): boolean {
  const { Lexer } = yamlLibrary();
  const more = new Lexer().lex(longer);
  for (const lexeme of new Lexer().lex(prefix)) {
    const next = more.next();
    if (next.done || next.value !== lexeme) return false;
  }
  return true;
}

/** The spaces that start the line at `at`. */
function indentAt(text: string, at: number): number {
  let p = at;
  while (text.charCodeAt(p) === 32) p++;
  return p - at;
}

/** `line:col` of `offset`, 1-based. */
function position(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return `${lineOf(text, offset)}:${offset - lineStart + 1}`;
}

/** The 1-based line of `offset`. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let at = text.indexOf("\n"); at >= 0 && at < offset; at = text.indexOf("\n", at + 1)) line++;
  return line;
}

/**
 * The innermost block collection open at the end of the prefix's one document, with its indent and the offset
 * where its last item starts; null when anything else is open there (or the tree is not that shape).
 */
function innermostAtEnd(tokens: CST.Token[]): { indent: number; lastItem: number; starts: number[] } | null {
  const documents = tokens.filter((token) => token.type === "document");
  if (documents.length !== 1) return null;
  const stray = tokens.some((t) => t.type !== "document" && t.type !== "comment" && t.type !== "newline");
  if (stray) return null;
  let node = (documents[0] as CST.Document).value;
  let open: { indent: number; lastItem: number; starts: number[] } | null = null;
  const starts: number[] = [];
  for (;;) {
    if (!node) return open;
    if (node.type === "block-map" || node.type === "block-seq") {
      const item = node.items[node.items.length - 1];
      if (!item) return null;
      if (item.start.some((token) => token.type === "explicit-key-ind")) return null;
      if ("key" in item && item.key && !closedOneLine(item.key)) return null;
      starts.push(node.offset, itemStart(item));
      open = { indent: node.indent, lastItem: itemStart(item), starts };
      node = item.value;
      continue;
    }
    return closedOneLine(node) ? open : null;
  }
}

/** Whether `token` is a node that ends where it ends in any text that goes on after it. */
function closedOneLine(token: CST.Token): boolean {
  switch (token.type) {
    case "scalar":
    case "alias":
    case "block-scalar":
      return true;
    case "single-quoted-scalar":
      return token.source.length >= 2 && token.source.endsWith("'");
    case "double-quoted-scalar":
      return token.source.length >= 2 && token.source.endsWith('"');
    case "flow-collection": {
      const last = token.end[0];
      return last !== undefined && (last.type === "flow-map-end" || last.type === "flow-seq-end");
    }
    default:
      return false;
  }
}

/** Where an item of a block collection starts: its first property or indicator, its key, or its value. */
function itemStart(item: CST.BlockMap["items"][number] | CST.BlockSequence["items"][number]): number {
  const first = item.start[0] ?? ("key" in item ? item.key : undefined) ?? item.sep?.[0] ?? item.value;
  return first?.offset ?? 0;
}
