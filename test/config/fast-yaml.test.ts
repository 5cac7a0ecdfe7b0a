import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { generateOrg, orgYaml } from "../../bench/generate.js";
import { fastRead } from "../../src/config/fast-yaml.js";
import {
  ConfigInvalidError,
  locatePath,
  MAX_ALIAS_COUNT,
  MAX_NESTING_DEPTH,
  type PathSegment,
  parseYamlText,
  readWithYaml,
} from "../../src/config/load.js";

/**
 * The fast reader must be indistinguishable from `yaml` wherever it answers: the same value, the same
 * positions, the same refusals. Every text here goes through both.
 */
type Reference =
  | { ok: true; value: unknown; locate: (path: PathSegment[], atKey: boolean) => string }
  | { ok: false; issues: { line: number; col: number; code: string; message: string }[] };

function reference(text: string): Reference {
  try {
    const { value, doc, locateOffset } = readWithYaml(text, "org.yaml");
    return {
      ok: true,
      value,
      locate: (path, atKey) => {
        const { line, col } = locatePath(doc, path, locateOffset, atKey);
        return `${line}:${col}`;
      },
    };
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    return {
      ok: false,
      issues: error.issues.map(({ line, col, code, message }) => ({ line, col, code, message })),
    };
  }
}

/** Every path to a value in `value`, keys and list items alike. */
function pathsOf(value: unknown, prefix: PathSegment[] = [], out: PathSegment[][] = []): PathSegment[][] {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) pathsOf(item, [...prefix, i], out);
  } else if (value && typeof value === "object")
    for (const key of Object.keys(value))
      pathsOf((value as Record<string, unknown>)[key], [...prefix, key], out);
  return out;
}

function expectSameAsYaml(text: string): "ok" | "invalid" | "unsupported" {
  const fast = fastRead(text, MAX_NESTING_DEPTH, MAX_ALIAS_COUNT);
  if (fast.kind === "unsupported") return "unsupported";
  const ref = reference(text);
  if (fast.kind === "ok") {
    expect(ref.ok, `yaml refuses what the fast reader accepts:\n${text}`).toBe(true);
    if (!ref.ok) return "ok";
    expect(fast.value).toStrictEqual(ref.value);
    for (const path of pathsOf(fast.value).slice(0, 400)) {
      for (const atKey of [false, true]) {
        const position = fast.locate(path, atKey);
        if (!position) continue;
        expect(`${position.line}:${position.col}`, `${JSON.stringify(path)} atKey=${atKey} in\n${text}`).toBe(
          ref.locate(path, atKey),
        );
      }
    }
    return "ok";
  }
  expect(ref.ok, `yaml accepts what the fast reader refuses (${JSON.stringify(fast.issues)}):\n${text}`).toBe(
    false,
  );
  if (ref.ok) return "invalid";
  // Duplicate keys, nesting and aliases are the reader's own checks: exactly the issues of the `yaml` path,
  // at the same places, with the same words (unless the reader says its place is only near).
  if (fast.issues.every((issue) => !issue.approximate)) {
    expect(
      fast.issues.map(({ line, col, code, message }) => ({ line, col, code, message })),
      text,
    ).toEqual(ref.issues);
  }
  return "invalid";
}

/** The properties send thousands of texts through both readers: minutes on a loaded machine. */
const PROPERTY_TIMEOUT_MS = 600_000;

const examples = readdirSync("examples", { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) =>
    readdirSync(join("examples", entry.name))
      .filter((name) => name.endsWith(".yaml"))
      .map((name) => join("examples", entry.name, name)),
  );

describe("the fast YAML reader", () => {
  it.each(examples)("reads %s exactly as yaml does", (file) => {
    expect(expectSameAsYaml(readFileSync(file, "utf8"))).toBe("ok");
  });

  it("reads a generated 300-user org exactly as yaml does", () => {
    const org = generateOrg(300);
    expect(expectSameAsYaml(orgYaml(org, { login: "owner", email: "owner@bench.example" }, "business"))).toBe(
      "ok",
    );
  });

  // Scalars whose type depends on the schema: YAML 1.1 forms stay strings under 1.2 core, as in yaml.
  const scalars = [
    "~",
    "null",
    "Null",
    "NULL",
    "nULL",
    "",
    "true",
    "True",
    "TRUE",
    "tRUE",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "0",
    "-0",
    "+0",
    "007",
    "0o17",
    "0O17",
    "0x1F",
    "0X1F",
    "0b101",
    "+12",
    "-12",
    "1_000",
    "1,000",
    "1.0",
    "1.",
    ".5",
    "-.5",
    "+.5",
    "1e3",
    "1E3",
    "1e+3",
    "1.5e-3",
    ".inf",
    "-.Inf",
    "+.INF",
    ".nan",
    ".NaN",
    "NaN",
    "inf",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "12:30:00",
    "190:20:30",
    "0.1.2",
    "1e",
    "9007199254740993",
    "123456789012345678901234567890",
    "0x",
    "0o",
    "-",
    "--",
    "a#b",
    "a #b",
    "é",
    "🙂",
    "<<",
    "=",
    "!",
    "&a",
    "*a",
    "@x",
    "`x",
    "%x",
    "|",
    ">",
    "'q'",
    '"q"',
    "a: b",
    "- a",
    "[a]",
    "{a: 1}",
  ];
  it.each(scalars.map((s) => [s]))(
    "resolves the scalar %j as yaml does, as a value and as a key",
    (scalar) => {
      for (const text of [
        `v: ${scalar}\n`,
        `v: '${scalar.replace(/'/g, "''")}'\n`,
        `v: ${JSON.stringify(scalar)}\n`,
        `${scalar}: v\n`,
        `- ${scalar}\n`,
        `v: [${scalar}]\n`,
        `v: |\n  ${scalar}\n`,
        `v: >-\n  ${scalar}\n  ${scalar}\n`,
      ]) {
        expectSameAsYaml(text);
      }
    },
  );

  it("refuses duplicate keys at the repeat, as yaml's check does", () => {
    for (const text of [
      "1: a\n1.0: b\n",
      "~: a\nnull: b\n",
      "0x10: a\n16: b\n",
      "a: 1\nb: 2\na: 3\n",
      "m: {a: 1, b: 2, a: 3}\n",
      "x:\n  y:\n    z: 1\n    z: 2\n",
      "\"x\": 1\n'x': 2\nx: 3\n",
      "true: a\nTrue: b\n",
      "__proto__: a\n__proto__: b\n",
    ]) {
      expect(expectSameAsYaml(text), text).toBe("invalid");
    }
    for (const text of ['1: a\n"1": b\n', ".nan: a\n.nan: b\n", "a: 1\nA: 2\n", "true: a\n'true': b\n"]) {
      expect(expectSameAsYaml(text), text).toBe("ok");
    }
  });

  it(`refuses nesting past ${MAX_NESTING_DEPTH} levels where it is crossed, and accepts it at the cap`, () => {
    const deepMap = (levels: number) =>
      `${Array.from({ length: levels }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n")} leaf\n`;
    expect(expectSameAsYaml(deepMap(MAX_NESTING_DEPTH))).toBe("ok");
    expect(expectSameAsYaml(deepMap(MAX_NESTING_DEPTH + 1))).toBe("invalid");
    expect(fastRead(deepMap(MAX_NESTING_DEPTH + 1), MAX_NESTING_DEPTH, MAX_ALIAS_COUNT)).toMatchObject({
      kind: "invalid",
      issues: [{ code: "too_deep", line: MAX_NESTING_DEPTH + 1 }],
    });
    expect(fastRead(deepMap(1000), MAX_NESTING_DEPTH, MAX_ALIAS_COUNT)).toMatchObject({ kind: "invalid" });
    // Two branches past the cap: both readers place the refusal at the first one in the text.
    const indented = (text: string) => text.trimEnd().replace(/^/gm, "  ");
    const twice = `a:\n${indented(deepMap(MAX_NESTING_DEPTH + 5))}\nb:\n${indented(deepMap(MAX_NESTING_DEPTH + 5))}\n`;
    expect(expectSameAsYaml(twice)).toBe("invalid");
    expect(reference(twice)).toMatchObject({
      ok: false,
      issues: [{ code: "too_deep", line: MAX_NESTING_DEPTH + 1 }],
    });
  });

  it("reads an escaped line break before an empty line as yaml does (js-yaml drops the space yaml folds in)", () => {
    for (const text of [
      'a: "x\\\n\n  v"\n',
      'a:\n  - "k: x\\\n    \n    v"\n',
      'a: "x\\\n\n\n  v\\\n  w\\\n   \n  \\t y"\n',
      'a: "x\\\r\n\r\n  v"\r\n',
      'a: "x\\\n\n  v"\nb: &r [1]\nc: *r\n',
    ]) {
      expect(expectSameAsYaml(text), JSON.stringify(text)).toBe("ok");
    }
    expect(fastRead('a: "x\\\n\n  v"\n', MAX_NESTING_DEPTH, MAX_ALIAS_COUNT)).toMatchObject({
      value: { a: "x v" },
    });
    // Double-quoted scalars of random line breaks, escaped or not, blank lines and blanks.
    const piece = fc.constantFrom(
      "x",
      "v w",
      "\\\n",
      "\n",
      "\n\n",
      "\n   \n",
      "\\\n\n",
      " ",
      "\t",
      "\\t",
      "\\ ",
      "\\\n \t\n",
    );
    let read = 0;
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 8 }),
        fc.constantFrom("a: ", "l:\n  - "),
        (pieces, at) => {
          const body = pieces.join("").replaceAll("\n", "\n    ");
          if (expectSameAsYaml(`${at}"${body}"\nb: 1\n`) === "ok") read++;
        },
      ),
      { numRuns: 2000, seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130) },
    );
    expect(read).toBeGreaterThan(500);
  });

  it("leaves to yaml what it does not compose itself", () => {
    for (const text of [
      "a: !!set 1\n",
      "a: !!str [1]\n",
      // In a 1.1 document, a merge key and a date as a key (yaml's stringifier names it); another version.
      "%YAML 1.1\n---\nb: &b {x: 1}\nc:\n  <<: *b\n",
      "%YAML 1.1\n---\n2001-12-14: a\n",
      "%YAML 1.3\n---\na: 1\n",
      "a: 1\n---\nb: 2\n",
      "? [a]\n: 1\n",
      ": a\n",
      // A tab after a block indicator, before an anchor: yaml refuses it, js-yaml does not (seed 5).
      "- -\t &a1\n    - null\n",
      "? \t&a x\n: 1\n",
      // A tab in the indentation before an anchor: the same (found generating tabs in indentation).
      "k:\n  \t&a x\n",
      "l:\n  -\n   \t&a [1]\n",

      // An empty key with an anchor (in a flow sequence, yaml starts the pair at its `:`; seed 6).
      "[\n &a1 :{a: 1},\n *a1\n]\n",
      "- &a : x\n",
      // An alias inside its own anchor (a cycle), and an alias of a collection as a key.
      "a: &x [1, *x]\n",
      "a: &x\n  b: *x\n",
      "a: &x [1]\nb: {*x : 1}\n",
    ]) {
      expect(fastRead(text, MAX_NESTING_DEPTH, MAX_ALIAS_COUNT).kind, text).toBe("unsupported");
    }
  });

  it("reads anchors and aliases as yaml does: values, positions, keys, redefinitions", () => {
    for (const text of [
      "a: &x 1\nb: *x\n",
      "a: &x [1, 2]\nb: *x\nc: [*x, *x]\n",
      "a: &x\n  k: v\nb: *x\nc:\n  - *x\n  - d: *x\n",
      "a: &x\nb: *x\n",
      "[&a \n]\n",
      "a: &x 1\na2: &x 2\nb: *x\n",
      "a: &x 1\nb: *x\nc: &x 3\nd: *x\n",
      "&r\na: 1\n",
      "&r {a: 1}\n",
      "a: &k key\nm:\n  *k : 1\n  key: 2\n",
      "m:\n  &k key: 1\n  *k : 2\n",
      "base: &k key\nm:\n  *k : 1\n  *k : 2\n",
      "a: &n ~\nm:\n  *n : 1\n",
      "a: &n 1.0\nm:\n  *n : 1\n  1: 2\n",
      "a: &x {p: 1}\nb:\n  <<: *x\n  q: 2\n",
      "- &a x\n- *a\n- [*a, {*a : *a}]\n",
      "a: &x 1\nb: {*x : }\n",
      "a: &x 1\nm:\n  *x :\n  k: v\n",
      "a: &x [&y 1, *y]\nb: *y\n",
      "a: &x 'q'\nb: *x\n",
      "a: &x |\n  text\nb: *x\n",
      "a: &x:y 1\nb: *x:y\n",
      "a: &x 1\nb: *x\n__proto__: *x\n",
    ]) {
      expect(expectSameAsYaml(text), text).toBe("ok");
    }
    // A collection's aliases are the very object, as yaml's toJS shares it.
    const fast = fastRead("a: &x [1, 2]\nb: *x\nc: [*x]\n", MAX_NESTING_DEPTH, MAX_ALIAS_COUNT);
    expect(fast.kind).toBe("ok");
    if (fast.kind !== "ok") return;
    const value = fast.value as { a: unknown; b: unknown; c: unknown[] };
    expect(value.b).toBe(value.a);
    expect(value.c[0]).toBe(value.a);
  });

  it("refuses an alias with no anchor before it, at the alias, after any duplicate key", () => {
    for (const text of [
      "a: *x\n",
      "a: *x\nb: &x 1\n",
      "a: &x 1\nb: *y\nc: *z\n",
      "m:\n  *x : 1\n",
      "- [1, *nope]\n",
      "a: *x\nb: 1\nb: 2\n",
    ]) {
      expect(expectSameAsYaml(text), text).toBe("invalid");
    }
    expect(fastRead("a: 1\nb: [1, *nope]\n", MAX_NESTING_DEPTH, MAX_ALIAS_COUNT)).toMatchObject({
      kind: "invalid",
      issues: [{ code: "unknown_alias", line: 2, col: 8 }],
    });
  });

  it("the loader names an unknown alias and where it is, in a large file too, instead of an alias bomb at 1:1", () => {
    const users = "  - login: u\n".repeat(30_000);
    for (const text of ["version: 1\norganization:\n  name: *nope\n", `users:\n${users}  - login: *nope\n`]) {
      try {
        parseYamlText(text, "org.yaml");
        expect.unreachable();
      } catch (error) {
        const lines = text.split("\n").length - 1;
        expect((error as ConfigInvalidError).issues).toEqual([
          expect.objectContaining({
            code: "unknown_alias",
            line: lines,
            col: text.split("\n")[lines - 1]!.indexOf("*") + 1,
            message:
              "the alias *nope names no anchor defined before it; define &nope earlier or write the value out",
          }),
        ]);
      }
    }
  });

  it(`counts aliases as yaml does, up to ${MAX_ALIAS_COUNT} and one past it`, () => {
    const list = (alias: string, n: number) => `[${Array(n).fill(alias).join(", ")}]`;
    const cases: [string, "ok" | "invalid"][] = [
      // A scalar anchor: each alias counts 1.
      [`a: &a x\nl: ${list("*a", MAX_ALIAS_COUNT - 1)}\n`, "ok"],
      [`a: &a x\nl: ${list("*a", MAX_ALIAS_COUNT)}\n`, "invalid"],
      // Redefined: the count starts again.
      [`a: &a x\nl: ${list("*a", 600)}\nb: &a y\nm: ${list("*a", 600)}\n`, "ok"],
      // Empty collections count 0, however often.
      [`a: &a []\nl: ${list("*a", 1500)}\n`, "ok"],
      [`a: &a {}\nb: &b [*a, *a]\nl: ${list("*b", 1500)}\n`, "ok"],
      // Laughs: b counts as a's count when first aliased.
      [`a: &a [x]\nb: &b ${list("*a", 30)}\nc: ${list("*b", 31)}\n`, "ok"],
      [`a: &a [x]\nb: &b ${list("*a", 30)}\nc: ${list("*b", 32)}\n`, "invalid"],
      [`a: &a [x]\nb: &b ${list("*a", 30)}\nc: &c ${list("*b", 2)}\nd: ${list("*c", 9)}\n`, "ok"],
      [`a: &a [x]\nb: &b ${list("*a", 30)}\nc: &c ${list("*b", 2)}\nd: ${list("*c", 10)}\n`, "invalid"],
    ];
    for (const [text, want] of cases) expect(expectSameAsYaml(text), text.slice(0, 80)).toBe(want);
  });

  it("keeps __proto__ an own key, as yaml does", () => {
    const fast = fastRead("__proto__: {polluted: 1}\n", MAX_NESTING_DEPTH, MAX_ALIAS_COUNT);
    expect(fast.kind).toBe("ok");
    if (fast.kind !== "ok") return;
    expect(Object.keys(fast.value as object)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("leaves every syntax error to yaml, whose messages are the reference, in a large file too", () => {
    const users = "  - login: u\n".repeat(30_000);
    const text = `version: 1\nusers:\n${users}  - login: [unclosed\n`;
    expect(fastRead(text, MAX_NESTING_DEPTH, MAX_ALIAS_COUNT).kind).toBe("unsupported");
    try {
      parseYamlText(text, "org.yaml");
      expect.unreachable();
    } catch (error) {
      const issues = (error as ConfigInvalidError).issues;
      expect(issues.map((i) => i.code)).toContain("yaml_syntax");
      expect(issues[0]!.message).toMatch(/; fix the YAML syntax$/);
    }
  });

  // Random documents in every style yaml writes, then randomly damaged: wherever the fast reader answers,
  // it answers as yaml does.
  const scalar = fc.oneof(
    fc.constantFrom(...scalars),
    fc.string({ maxLength: 6 }),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const key = fc.oneof(
    fc.constantFrom("a", "b", "1", "~", "true", "x y", "__proto__"),
    fc.string({ maxLength: 4 }),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small" }, scalar, tie("list"), tie("map")),
    list: fc.array(tie("node"), { maxLength: 4 }),
    map: fc.dictionary(key, tie("node"), { maxKeys: 4 }),
  })).node;
  const style = fc.record({
    defaultStringType: fc.constantFrom(
      "PLAIN",
      "QUOTE_DOUBLE",
      "QUOTE_SINGLE",
      "BLOCK_LITERAL",
      "BLOCK_FOLDED",
    ),
    defaultKeyType: fc.constantFrom(null, "PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE"),
    collectionStyle: fc.constantFrom("any", "block", "flow"),
    indent: fc.integer({ min: 1, max: 4 }),
  });
  const damage = fc.array(
    fc.record({
      at: fc.nat(),
      text: fc.constantFrom(
        "repeat a line",
        "repeat a line",
        ":",
        " ",
        "\n",
        "-",
        "#",
        "'",
        '"',
        "[",
        "]",
        "{",
        "}",
        ",",
        "\t",
        "  ",
        "? ",
        "|",
        ">",
        "a",
        "&a ",
        "&b ",
        "*a",
        " *a",
        "*b ",
      ),
    }),
    { maxLength: 3 },
  );

  it(
    "agrees with yaml on random documents, damaged or not",
    () => {
      const seen = { ok: 0, invalid: 0, unsupported: 0 };
      fc.assert(
        fc.property(value, style, damage, fc.nat(), (doc, options, edits, share) => {
          // One collection said twice: yaml writes it once with an anchor, then as an alias.
          const collections = pathsOf(doc)
            .map((path) => path.reduce<unknown>((node, segment) => (node as never)[segment], doc))
            .filter((node) => node !== doc && node !== null && typeof node === "object");
          if (collections.length > 0 && doc !== null && typeof doc === "object") {
            const again = collections[share % collections.length];
            if (Array.isArray(doc)) doc.push(again);
            else (doc as Record<string, unknown>)[`again${share % 3}`] = again;
          }
          let text = stringify(doc, options as never);
          for (const edit of edits) {
            if (edit.text === "repeat a line") {
              // A line said twice: in a block mapping, a duplicate key.
              const lines = text.split("\n");
              const at = edit.at % lines.length;
              lines.splice(at, 0, lines[at]!);
              text = lines.join("\n");
              continue;
            }
            const at = edit.at % (text.length + 1);
            text = text.slice(0, at) + edit.text + text.slice(at);
          }
          seen[expectSameAsYaml(text)]++;
        }),
        {
          numRuns: 3000,
          // One fixed run in CI, so that a run never fails by chance; ORGCTL_FUZZ_SEED explores others.
          seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130),
        },
      );
      // The property ran on every kind of answer, not only on what the reader leaves to yaml.
      expect(seen.ok).toBeGreaterThan(300);
      expect(seen.invalid).toBeGreaterThan(0);
      expect(seen.unsupported).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );

  // Tabs in the indentation of multi-line scalars, comments, keys and nodes, some anchored or aliased, in
  // block and flow style: where js-yaml reads a tab in indentation differently, the reader leaves the text.
  const word = fc.constantFrom(
    "alpha",
    "beta gamma",
    "delta epsilon zeta eta theta",
    "x",
    "1",
    "true",
    "a b c d e f g h i j k",
    "it's",
    "k: v",
    "- x",
    "# c",
    "",
  );
  const folded = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small" }, word, tie("list"), tie("map")),
    list: fc.array(tie("node"), { maxLength: 3 }),
    map: fc.dictionary(fc.constantFrom("a", "b", "login", "name"), tie("node"), { maxKeys: 3 }),
  })).node;
  const foldedTop = fc.dictionary(fc.constantFrom("a", "b", "login", "name"), folded, {
    minKeys: 1,
    maxKeys: 4,
  });
  const narrow = fc.record({
    lineWidth: fc.integer({ min: 8, max: 30 }),
    minContentWidth: fc.constant(4),
    collectionStyle: fc.constantFrom("any", "block", "flow"),
    defaultStringType: fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE"),
  });

  it(
    "agrees with yaml on documents with tabs in their indentation",
    () => {
      const seen = { ok: 0, invalid: 0, unsupported: 0 };
      let tabbedAndRead = 0;
      fc.assert(
        fc.property(
          foldedTop,
          narrow,
          fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
          fc.boolean(),
          (doc, options, picks, replace) => {
            const lines = stringify(doc, options as never).split("\n");
            for (const pick of picks) {
              // An anchor or an alias on some value, or an anchor on a line of its own above a node.
              if (pick % 5 === 0) {
                const i = pick % lines.length;
                lines[i] = lines[i]!.replace(/^(\s*(?:- )?(?:[a-z]+: |- ))/, pick % 2 ? "$1&a " : "$1*a # ");
              }
              if (pick % 7 === 0) {
                const i = (pick >> 3) % lines.length;
                lines[i] = lines[i]!.replace(/^(\s*)(\S)/, "$1&a\n$1  $2");
              }
              // A tab in the line's indentation: in place of a space, or added.
              const i = pick % lines.length;
              const lead = /^ */.exec(lines[i]!)![0].length;
              const here = lines[i]!;
              if (replace && lead > 0) {
                const at = pick % lead;
                lines[i] = `${here.slice(0, at)}\t${here.slice(at + 1)}`;
              } else {
                const at = lead === 0 ? 0 : pick % (lead + 1);
                lines[i] = `${here.slice(0, at)}\t${here.slice(at)}`;
              }
            }
            const text = lines.join("\n");
            const answer = expectSameAsYaml(text);
            seen[answer]++;
            if (answer === "ok" && /^[ ?:-]*\t/m.test(text)) tabbedAndRead++;
          },
        ),
        { numRuns: 3000, seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130) },
      );
      // Texts with a tab in their indentation were read, not only left to yaml.
      expect(tabbedAndRead).toBeGreaterThan(500);
      expect(seen.unsupported).toBeGreaterThan(30);
    },
    PROPERTY_TIMEOUT_MS,
  );

  // A `%YAML 1.1` document: its plain scalars (keys too) resolve by that schema, `<<` merges.
  const word11 = fc.constantFrom(..."a|yes|On|No|y|n|~||1|0777|0b11|1_000|1:30".split("|"));
  const more11 = fc.constantFrom(..."1:30.5|2001-12-14|E0|.5|0x1F|<<|x y|true|- x".split("|"));
  const scalar11 = fc.oneof(word11, more11);
  type Node11 = string | { list: Node11[] } | { map: [string, Node11][] };
  const value11: fc.Arbitrary<Node11> = fc.letrec<{ node: Node11; list: Node11; map: Node11 }>((tie) => ({
    node: fc.oneof({ depthSize: "small" }, scalar11, tie("list"), tie("map")),
    list: fc.array(tie("node"), { maxLength: 3 }).map((list) => ({ list })),
    map: fc.array(fc.tuple(scalar11, tie("node")), { maxLength: 3 }).map((map) => ({ map })),
  })).node;
  /** A plain scalar as it is, but quoted where it would be no scalar (empty, or holding `: `, `- ` first). */
  const plain11 = (text: string) => (/^- |: |^$/.test(text) ? `'${text}'` : text);
  /** Block YAML of `node`, after a key's colon or an item's dash. */
  function block11(node: Node11, indent: string): string {
    if (typeof node === "string") return ` ${plain11(node)}\n`;
    if ("list" in node) {
      if (node.list.length === 0) return " []\n";
      return `\n${node.list.map((item) => `${indent}-${block11(item, `${indent}  `)}`).join("")}`;
    }
    if (node.map.length === 0) return " {}\n";
    return `\n${node.map.map(([key, item]) => `${indent}${plain11(key)}:${block11(item, `${indent}  `)}`).join("")}`;
  }

  it("places a missing path at its deepest existing parent's value, even when a segment repeats the last", () => {
    const text = "a:\n  b: 1\n";
    const fast = fastRead(text, MAX_NESTING_DEPTH, MAX_ALIAS_COUNT);
    if (fast.kind !== "ok") throw new Error(fast.kind);
    const ref = reference(text);
    if (!ref.ok) throw new Error("refused");
    for (const path of [
      ["a", "x", "a"],
      ["a", "b", "x", "b"],
    ]) {
      const { line, col } = fast.locate(path, true)!;
      expect(`${line}:${col}`, JSON.stringify(path)).toBe(ref.locate(path, true));
    }
    expect(ref.locate(["a", "x", "a"], true)).toBe("2:3");
  });

  it(
    "agrees with yaml on random %YAML 1.1 documents",
    () => {
      const seen = { ok: 0, invalid: 0, unsupported: 0 };
      fc.assert(
        fc.property(fc.array(fc.tuple(scalar11, value11), { minLength: 1, maxLength: 4 }), (pairs) => {
          const body = pairs.map(([key, node]) => `${plain11(key)}:${block11(node, "  ")}`);
          seen[expectSameAsYaml(`%YAML 1.1\n---\n${body.join("")}`)]++;
        }),
        { numRuns: 3000, seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130) },
      );
      expect(seen.ok).toBeGreaterThan(1000);
      expect(seen.unsupported).toBeGreaterThan(100);
    },
    PROPERTY_TIMEOUT_MS,
  );

  // Anchored lists of aliases (billion laughs in small), names redefined or never defined, aliases as keys,
  // in block and flow style: the counts reach the cap on both sides of it.
  // An alias names the anchor of an earlier definition (`back` steps back; none there: an unknown name).
  const names = ["a", "b", "c", "d"] as const;
  const target = fc.oneof(
    { weight: 9, arbitrary: fc.integer({ min: 0, max: 3 }) },
    { weight: 1, arbitrary: fc.constant("e" as const) },
  );
  const item = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ alias: target, times: fc.integer({ min: 1, max: 40 }) }),
    },
    { weight: 1, arbitrary: fc.record({ key: target }) },
    { weight: 1, arbitrary: fc.constantFrom("x", "[]", "{}", "", "1") },
  );
  const definition = fc.record({
    name: fc.option(fc.constantFrom(...names), { nil: undefined, freq: 6 }),
    items: fc.array(item, { maxLength: 6 }),
    flow: fc.boolean(),
    scalar: fc.boolean(),
  });

  it(
    "agrees with yaml on anchors, aliases and their counts",
    () => {
      const seen = { ok: 0, invalid: 0, unsupported: 0 };
      const codes = new Set<string>();
      fc.assert(
        fc.property(fc.array(definition, { minLength: 1, maxLength: 6 }), (definitions) => {
          const lines: string[] = ["top: &s key"];
          // Not the definition's own name: an alias inside its own anchor is left to yaml.
          const nameOf = (i: number, back: number | "e") => {
            const own = definitions[i]!.name;
            const earlier = definitions
              .slice(0, i)
              .flatMap((d) => (d.name && d.name !== own ? [d.name] : []))
              .reverse();
            if (back === "e") return "e";
            return earlier.length === 0 ? "s" : earlier[back % earlier.length]!;
          };
          definitions.forEach((d, i) => {
            const anchor = d.name ? ` &${d.name}` : "";
            if (d.scalar && d.items.length === 0) {
              lines.push(`k${i}:${anchor} s${i}`);
              return;
            }
            const rendered = d.items.flatMap((it) => {
              if (typeof it === "string") return [d.flow && it === "" ? "~" : it];
              if ("key" in it) {
                // Mostly the scalar `s`: yaml names a collection's alias as a key `*name` (left to it).
                const key = it.key === 0 ? nameOf(i, it.key) : it.key === "e" ? "e" : "s";
                return [d.flow ? `{*${key} : v}` : `*${key} : v`];
              }
              return Array<string>(it.times).fill(`*${nameOf(i, it.alias)}`);
            });
            if (d.flow) lines.push(`k${i}:${anchor} [${rendered.join(", ")}]`);
            else if (rendered.length === 0) lines.push(`k${i}:${anchor} []`);
            else lines.push(`k${i}:${anchor}`, ...rendered.map((r) => `  - ${r}`));
          });
          const text = `${lines.join("\n")}\n`;
          const kind = expectSameAsYaml(text);
          seen[kind]++;
          const fast = fastRead(text, MAX_NESTING_DEPTH, MAX_ALIAS_COUNT);
          if (fast.kind === "invalid") codes.add(fast.issues[0]!.code);
        }),
        { numRuns: 300, seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130) },
      );
      expect(seen.ok).toBeGreaterThan(30);
      expect(seen.invalid).toBeGreaterThan(30);
      expect([...codes].sort()).toEqual(["alias_bomb", "unknown_alias"]);
    },
    PROPERTY_TIMEOUT_MS,
  );

  // Block scalars with an explicit indentation indicator, in a mapping or a list at several depths, with
  // content lines more or less indented, empty lines, lines of spaces, comments and a sibling after them.
  const blockScalar = fc.record({
    parent: fc.constantFrom(0, 2, 4),
    item: fc.boolean(),
    style: fc.constantFrom("|", ">"),
    indicator: fc.integer({ min: 1, max: 5 }),
    chomp: fc.constantFrom("", "-", "+"),
    chompFirst: fc.boolean(),
    comment: fc.boolean(),
    lines: fc.array(
      fc.oneof(
        fc.constant(""),
        fc.integer({ min: 1, max: 8 }).map((n) => " ".repeat(n)),
        fc.integer({ min: -1, max: 3 }),
      ),
      { minLength: 1, maxLength: 5 },
    ),
    sibling: fc.boolean(),
  });
  it(
    "reads block scalars with an indentation indicator as yaml does, lines of spaces and all",
    () => {
      const seen = { ok: 0, invalid: 0, unsupported: 0 };
      let withSpaces = 0;
      fc.assert(
        fc.property(blockScalar, (b) => {
          const pad = " ".repeat(b.parent);
          const header = b.chompFirst
            ? `${b.style}${b.chomp}${b.indicator}`
            : `${b.style}${b.indicator}${b.chomp}`;
          const lines = [
            ...(b.parent > 0 ? ["p:"] : []),
            `${pad}${b.item ? "- " : "k: "}${header}${b.comment ? " # c" : ""}`,
            ...b.lines.map((line, i) =>
              typeof line === "number"
                ? `${" ".repeat(Math.max(0, b.parent + b.indicator + line))}x${i}`
                : line,
            ),
            ...(b.sibling ? [`${pad}${b.item ? "- z" : "z: 1"}`] : []),
          ];
          const text = `${lines.join("\n")}\n`;
          const answer = expectSameAsYaml(text);
          seen[answer]++;
          if (answer === "ok" && /^ +$/m.test(text)) withSpaces++;
        }),
        {
          numRuns: Number(process.env.ORGCTL_BLOCK_RUNS ?? 3000),
          seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130),
        },
      );
      // Read, not left to yaml: those with a line of spaces too.
      expect(seen.ok).toBeGreaterThan(1200);
      expect(withSpaces).toBeGreaterThan(300);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
