import type { CST, Document, YAMLParseError } from "yaml";
import { fastRead, leftToYaml } from "../fast-yaml.js";
import { ConfigInvalidError, type ConfigIssue } from "../model.js";
import { aliasBombRefusal, firstUnknownAlias, unknownAliasRefusal } from "../yaml-aliases.js";
import { yamlLibrary } from "../yaml-library.js";
import { prefixRefusal } from "../yaml-prefix.js";
import {
  refuseFromWindow,
  refuseFromWindowFirst,
  WINDOW_MIN_BYTES,
  type WindowAcceptance,
} from "../yaml-window.js";
import { checkCaps, duplicateKeys, firstTooDeep, MAX_ALIAS_COUNT, MAX_NESTING_DEPTH } from "./guards.js";
import { issueAt } from "./issue.js";
import { locatePath, type PathSegment } from "./locate.js";

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
  const read = (reduced: string) => readWithYaml(reduced, file);
  // The window first (yaml-window.ts: a reduced text of at most an eighth of the file), answered at most
  // once: the refusal is thrown; an acceptance whose value could be built is the answer.
  let windowTried = false;
  let cutsAccepted = false;
  const windowFirst = (): WindowAcceptance | null => {
    if (windowTried) return null;
    windowTried = true;
    const answer = refuseFromWindowFirst(text, read);
    cutsAccepted = answer !== null;
    return answer === "accepted" ? null : answer;
  };
  // A large file with a construct the fast readers leave to `yaml` (a tag, an indentation indicator): the
  // block reader would read up to it, and the event reader the whole file, only to leave.
  if (text.length >= WINDOW_MIN_BYTES && leftToYaml(text)) {
    const accepted = windowFirst();
    if (accepted) return accepted;
  }
  let accepted: WindowAcceptance | null = null;
  let blockLeftAt = -1;
  const fast = fastRead(text, MAX_NESTING_DEPTH, MAX_ALIAS_COUNT, {
    // A large file that the block reader left past its first quarter is mostly plain lines, which the window
    // removes: a syntax error there is answered before the event reader reads the whole file only to say it
    // cannot.
    blockLeft: (lineStart) => {
      blockLeftAt = lineStart;
      if (lineStart < text.length / 4) return false;
      accepted = windowFirst();
      return accepted !== null;
    },
  });
  if (accepted) return accepted;
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
  // A large file's refusal is found on a reduced text, the same as the whole file's (yaml-window.ts).
  if (fast.kind === "unsupported") {
    const windowed = refuseFromWindow(text, read, { cutsAccepted });
    if (windowed) return windowed;
    // A file with many problems in its first part is refused with those, the rest not read (yaml-prefix.ts).
    if (text.length >= WINDOW_MIN_BYTES) {
      const early = prefixRefusal(text, file, read);
      if (early) throw new ConfigInvalidError(early.issues);
    }
    // Only `yaml` can read the rest, whole: at 2 to 3.5 µs a byte, not past WHOLE_READ_MAX_BYTES.
    if (text.length > WHOLE_READ_MAX_BYTES) throw tooComplex(text, file, fast, blockLeftAt);
  }
  const { value, doc, locateOffset } = readWithYaml(text, file);
  return { value, locate: (path, atKey = false) => locatePath(doc, path, locateOffset, atKey) };
}

/**
 * The largest file that `yaml` alone reads whole (what neither fast reader nor a reduced text answers): `yaml`
 * reads 0.3 to 0.5 MB a second of tags on collections, directives, merge keys or a problem on every line,
 * and every file within the caps is answered in under 2 s (about 1.5 s at this size, start-up included).
 */
export const WHOLE_READ_MAX_BYTES = 384 * 1024;

/**
 * The refusal of a file over WHOLE_READ_MAX_BYTES that only `yaml` could read whole: placed at the first line
 * the block reader could not read (else where js-yaml's parser stopped), saying what the fast reader met. It may be valid YAML of a kind orgctl reads only in smaller files (js-yaml and `yaml`
 * differ on some edges of the syntax), so it is `too_complex`, not `yaml_syntax`.
 */
function tooComplex(
  text: string,
  file: string,
  fast: { kind: "unsupported"; reason: string; near?: { line: number; col: number } },
  blockLeftAt: number,
): ConfigInvalidError {
  let { line, col } = fast.near ?? { line: 1, col: 1 };
  if (blockLeftAt >= 0) {
    line = 1;
    col = 1;
    for (let at = text.indexOf("\n"); at >= 0 && at < blockLeftAt; at = text.indexOf("\n", at + 1)) line++;
    while (text.charCodeAt(blockLeftAt + col - 1) === 32) col++;
  }
  const size = Math.ceil(text.length / 1024);
  return new ConfigInvalidError([
    issueAt(
      file,
      line,
      col,
      "too_complex",
      `the fast YAML reader cannot read the file from here on (${fast.reason}), and a file of ${size} KiB is ` +
        `read with it alone (the full reader takes files of at most ${WHOLE_READ_MAX_BYTES / 1024} KiB): fix the ` +
        "YAML here, or write it as plain block YAML (no tags on collections, no %TAG directive, no merge keys), " +
        "as `orgctl import` writes it",
      "",
    ),
  ]);
}

/** The reference reader: `yaml`'s parser and composer, with located errors. */
export function readWithYaml(
  text: string,
  file: string,
): { value: unknown; doc: Document; locateOffset: (offset: number) => { line: number; col: number } } {
  const { LineCounter, Parser } = yamlLibrary();
  const lineCounter = new LineCounter();
  const locateOffset = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
  let doc: Document;
  // `yaml` makes an Error for each problem it finds: without their stack traces (its problems carry their own
  // places), a file with a problem on every line is read about a fifth faster.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
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
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
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

/** The one document of a YAML text, as `parseDocument` composes it, but without the quadratic key check. */
function composeOne(tokens: CST.Token[], length: number): Document {
  const { Composer, YAMLParseError } = yamlLibrary();
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
