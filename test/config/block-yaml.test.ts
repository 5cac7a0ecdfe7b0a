import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { generateOrg, orgYaml } from "../../bench/generate.js";
import { readBlockYaml } from "../../src/config/block-yaml.js";
import { fastRead, resolvePlain, resolvePlain11, resolveTagged } from "../../src/config/fast-yaml.js";
import {
  ConfigInvalidError,
  locatePath,
  MAX_ALIAS_COUNT,
  MAX_NESTING_DEPTH,
  type PathSegment,
  readWithYaml,
} from "../../src/config/load.js";

/**
 * The block reader answers only where it reads exactly as `yaml` does: the same value, the same positions.
 * Wherever it leaves a text, the event reader (fast-yaml.test.ts) answers; so every text here that the block
 * reader reads goes through `yaml` too, and most texts here are of the kind it reads.
 */

/** Plain scalars resolve as `yaml` resolves them: the block reader is handed a resolver, here `yaml`'s own. */
function resolveWithYaml(source: string): unknown {
  return (readWithYaml(`v: ${source}\n`, "org.yaml").value as { v: unknown }).v;
}

function pathsOf(value: unknown, prefix: PathSegment[] = [], out: PathSegment[][] = []): PathSegment[][] {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) pathsOf(item, [...prefix, i], out);
  } else if (value && typeof value === "object")
    for (const key of Object.keys(value))
      pathsOf((value as Record<string, unknown>)[key], [...prefix, key], out);
  return out;
}

/**
 * "read" when the block reader read `text` (then exactly as yaml does), "refused" when it found repeated keys
 * (yaml's very issues), "left" when it left it.
 */
function expectReadAsYaml(text: string): "read" | "refused" | "left" {
  // A `%YAML 1.1` document's plain scalars resolve by that schema, as fastRead reads them.
  const block = text.startsWith("%YAML 1.1")
    ? readBlockYaml(text, MAX_NESTING_DEPTH, resolvePlain11, {
        maxAliasCount: MAX_ALIAS_COUNT,
        version: "1.1",
      })
    : readBlockYaml(text, MAX_NESTING_DEPTH, resolvePlain, { resolveTagged, maxAliasCount: MAX_ALIAS_COUNT });
  if (!block) return "left";
  // Through fastRead, as the loader calls it, with positions as line and column.
  const fast = fastRead(text, MAX_NESTING_DEPTH, MAX_ALIAS_COUNT);
  let ref: ReturnType<typeof readWithYaml>;
  try {
    ref = readWithYaml(text, "org.yaml");
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    // Repeated keys are the one refusal the block reader makes: exactly yaml's issues.
    expect(
      fast.kind,
      `yaml refuses what the block reader reads (${error.issues[0]?.message}):\n${text}`,
    ).toBe("invalid");
    expect(block.duplicates.length).toBeGreaterThan(0);
    if (fast.kind === "invalid") {
      expect(
        fast.issues.map(({ line, col, code, message }) => ({ line, col, code, message })),
        text,
      ).toEqual(error.issues.map(({ line, col, code, message }) => ({ line, col, code, message })));
    }
    return "refused";
  }
  expect(block.duplicates, text).toEqual([]);
  expect(fast.kind, text).toBe("ok");
  if (fast.kind !== "ok") return "read";
  expect(fast.value, text).toStrictEqual(ref.value);
  const paths = pathsOf(fast.value);
  // Paths that lead nowhere: past a list's end, a missing key, through a scalar.
  const extra = paths.slice(0, 50).flatMap((path) => [
    [...path, "missing"],
    [...path, 99],
    [...path, "0"],
  ]);
  for (const path of [...paths.slice(0, 400), ...extra]) {
    for (const atKey of [false, true]) {
      const position = fast.locate(path, atKey);
      const want = locatePath(ref.doc, path, ref.locateOffset, atKey);
      expect(position, `${JSON.stringify(path)} atKey=${atKey} in\n${text}`).toEqual(want);
    }
  }
  return "read";
}

const examples = readdirSync("examples", { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) =>
    readdirSync(join("examples", entry.name))
      .filter((name) => name.endsWith(".yaml"))
      .map((name) => join("examples", entry.name, name)),
  );

describe("the block YAML reader", () => {
  it.each(examples)("reads %s exactly as yaml does", (file) => {
    expect(expectReadAsYaml(readFileSync(file, "utf8"))).toBe("read");
  });

  it("reads a generated 300-user org exactly as yaml does, and resolves scalars as yaml does", () => {
    const text = orgYaml(generateOrg(300), { login: "owner", email: "owner@bench.example" }, "business");
    expect(expectReadAsYaml(text)).toBe("read");
    const block = readBlockYaml(text, MAX_NESTING_DEPTH, resolveWithYaml);
    expect(block?.value).toStrictEqual(readWithYaml(text, "org.yaml").value);
  });

  it("reads what people write by hand: comments, blank lines, flow lists and maps, quotes, nulls", () => {
    for (const text of [
      "# org\nversion: 1 # the format\n\norganization:\n  name: Acme  # trailing\n  plan:\n",
      "a:\n# between\n  b: 1\n    # deeper comment\n  c: [x, 'y z', \"w\"]\n",
      'users:\n  - login: a\n    password: { env: A_PW, rotation: "2026-q4" }\n  - login: b\n    aliases: []\n',
      "a: 'it''s'\nb: \"say \\\"hi\\\"\\n\"\nc: \"\"\nd: ''\n",
      "  indented: 1\n  root: 2\n",
      "a: b#c\nd: e:f\ng: -1\nh: -x\ni: 1,000\nj: .5\nk: 0x1F\nl: ~\nm: null\nn: yes\n",
      "list:\n  - a: 1\n    b:\n      - x\n  - c:\n    d: 2\n",
      "a: é ü\n",
      "m: {}\nl: [ ]\n",
      // The document's markers: `%YAML 1.2` (the version yaml reads anyway), `---` and `...`.
      "%YAML 1.2\n---\na: 1\n...\n# end\n",
      "--- # the org\na:\n  b: 1\n... # end\n",
      "a:\n...\n",
    ]) {
      expect(expectReadAsYaml(text), text).toBe("read");
    }
  });

  it("reads a tab where yaml reads it as a blank, and places values as yaml does", () => {
    for (const text of [
      "a:\n  -\tv1\n  -\tv2\n",
      "a:\n  - \t \tx\n  -\t\t'q'\n  -\t[1, 2]\n  -\t{k: 1}\n  -\t-1\n",
      'a:\tb\nc: \t"q"\nd:\t[x]\ne:\t!!int 5\nf: !!int\t6\n',
      "a: b\t\nc: d\t# note\ne: 'f'\t#\tg\n",
      "a:\t\n  b: c\nd:\t# note\n  e: f\n",
      "a: [1,\t2]\nb: [\t\t'q'\t,\t\"r\"\t]\nc: {\tk:\t1\t,\tj: 2\t}\nd: [\t]\ne:\n  - {k:\t1}\n",
      "\t\n#\tnote\n\t# note\na:\n  - k: v\n\t# note\n  \t\n    j:\tw\n",
    ]) {
      expect(expectReadAsYaml(text), JSON.stringify(text)).toBe("read");
    }
  });

  it("leaves a tab that yaml refuses or keeps in a value", () => {
    for (const text of [
      // yaml refuses these (TAB_AS_INDENT).
      "a:\n  -\t- x\n",
      "a:\n  -\tk: v\n",
      "a:\n  - \tk:\tv\n",
      "a:\n  -\t!!str 1\n",
      "a:\n\tb: c\n",
      "a:\n  b: c\n \t d: e\n",
      // yaml keeps the tab in the value, or reads the line as a scalar's.
      "a: b\tc\n",
      'a: "x\ty"\n',
      "a: [a\tb]\n",
      "a: {b: c\td}\n",
      "a:\n  -\tx\n   \ty\n",
      "- !!str\tx\n",
      "a\t: b\n",
      // A last line of blanks without a newline: yaml refuses a tab there after an indented comment.
      "a:\n  b: x\n  # note\n\t",
    ]) {
      expect(
        readBlockYaml(text, MAX_NESTING_DEPTH, resolvePlain, {
          resolveTagged,
          maxAliasCount: MAX_ALIAS_COUNT,
        }),
        JSON.stringify(text),
      ).toBeNull();
    }
  });

  it("reads anchored one-line scalars and their aliases as yaml does, counted against the alias cap", () => {
    for (const text of [
      "a: &x 1\nb: *x\nl:\n  - *x\n  - &y 'q'\n  -\t*y # c\n",
      "a: &x 1\nb: &x two\nc: *x\nd:\t&z\t3\ne:\t*z\n",
      "users:\n  - login: &o owner\n    plan: &p pro\n  - login: b\n    plan: *p\n",
      `base: &b 1\nl:\n${"  - *b\n".repeat(MAX_ALIAS_COUNT - 1)}`,
    ]) {
      expect(expectReadAsYaml(text), JSON.stringify(text)).toBe("read");
    }
    // One alias more than the cap allows: the event reader refuses it, as yaml does.
    const past = `base: &b 1\nl:\n${"  - *b\n".repeat(MAX_ALIAS_COUNT)}`;
    expect(
      readBlockYaml(past, MAX_NESTING_DEPTH, resolvePlain, { maxAliasCount: MAX_ALIAS_COUNT }),
    ).toBeNull();
    expect(fastRead(past, MAX_NESTING_DEPTH, MAX_ALIAS_COUNT).kind).toBe("invalid");
    for (const text of [
      "a: *x\n",
      "a: &x\n  b: 1\nc: *x\n",
      "a: &x [1]\nb: *x\n",
      "a: &x !!int 1\n",
      "a: !!int &x 1\n",
      "a: &x\n",
      "a: &x # c\n",
      "a: &x 1\nb: *x:\n",
      "a: &x 1\nb: *x y\n",
      "a: &x.y 1\n",
      "l:\n  -\t&x 1\n",
      "l:\n  - &x k: v\n",
      "&x a: 1\n",
      "a: [&x 1]\n",
    ]) {
      const read = readBlockYaml(text, MAX_NESTING_DEPTH, resolvePlain, { maxAliasCount: MAX_ALIAS_COUNT });
      expect(read, JSON.stringify(text)).toBeNull();
    }
  });

  it("reads a core tag before a one-line scalar as yaml does, placed after the tag", () => {
    for (const text of [
      "a: !!str 5\nb: !!str true\nc: !!str ~\nd: !!str  007 # c\n",
      "a: !!str 'q'\nb: !!str \"1\"\n",
      "list:\n  - !!str 1\n  - !!str x y\n  - z\n",
      "users:\n  - login: !!str 0123\n    plan: pro\n",
      // The first tag of that name whose test matches resolves it; none matching, the text (yaml warns).
      "a: !!int 5\nb: !!int 0x1F\nc: !!int 0o17\nd: !!int abc\ne: !!int 5.0\nf: !!int '7'\n",
      "a: !!float 5.5\nb: !!float 5\nc: !!float .inf\nd: !!float -.Inf\ne: !!float .nan\nf: !!float 1e3\n",
      'a: !!bool true\nb: !!bool yes\nc: !!bool "false"\nd: !!null ~\ne: !!null x\nf: !!null null\n',
      "l:\n  - !!int 1\n  - !!bool false\n",
      // A local tag and the non-specific `!`: the text (yaml warns of the local tag).
      "a: !local 5\nb: ! 007\nc: !Ref 'x'\nd: !a-b_c true\n",
      // Verbatim tags: a core one by its full name, a local or another URI as the text.
      "a: !<tag:yaml.org,2002:str> 5\nb: !<tag:yaml.org,2002:int> 5\nc: !<!foo> 5\nd: !<tag:example.com,2000:x> 5\n",
      // The scalar tags yaml knows by name: a Buffer and a Date, whatever the text's form.
      "a: !!binary aGVsbG8=\nb: !!binary 'aGVs bG8='\nc: !<tag:yaml.org,2002:binary> x\nl:\n  - !!binary aGk=\n",
      'a: !!timestamp 2001-12-14\nb: !!timestamp 2001-12-14t21:59:43.10-05:00\nc: !!timestamp "2001-1-1"\n',
    ]) {
      expect(expectReadAsYaml(text), text).toBe("read");
    }
  });

  it("leaves to the event reader what it does not read as yaml does", () => {
    for (const text of [
      "a: &x 1\nb: *x\n",
      "a: !!binary 1\n",
      "a: !!timestamp 2001-12-14\n",
      "a: !x.y 1\n",
      "a: !<tag:yaml.org,2002:binary> x\n",
      "a: !<!> 5\n",
      "a: !<> 5\n",
      "a: !<tag:x 5\n",
      "a: !e!x 1\n",
      "a: !<tag:x> 1\n",
      "a: !!str\n",
      "a: !!str [1]\n",
      "a: !!str # c\n",
      "- !!str a: b\n",
      "!!str a: 1\n",
      "a: |\n  text\n",
      "a: >\n  text\n",
      "a: multi\n  line\n",
      'a: "multi\n  line"\n',
      "key:\n- indentless\n",
      "'quoted': 1\n",
      "true: 1\n",
      "__proto__: 1\n",
      "toString: 1\n",
      "a: b\r\n",
      "- root list\n",
      "---\n---\na: 1\n",
      "%YAML 1.2\na: 1\n",
      "--- a: 1\n",
      "a: 1\n...\nb: 2\n",
      "a: 1\n... x\n",
      "a: b: c\n",
      "a: b:\n",
      "a: [x, [y]]\n",
      "a: [x: 1]\n",
      "a: [x,]\n",
      "a: {b:1}\n",
      'a: "\\x41"\n',
      "a: x\n  b: 1\n",
      "a:\n    b: 1\n  c: 2\n",
      "a:\n  - x\n  y: 1\n",
      "- \n",
      "a:\n  -\n    b: 1\n",
      "a:\n  - - x\n",
      "a: [x] y\n",
      'a: "x"y\n',
      'a: "x"#c\n',
      "a: ? x\n",
      "a: %x\n",
      "a: @x\n",
      "a: - x\n",
      "",
      "# only a comment\n",
      "\uFEFFa: 1\n",
      "é: x\n",
      "a: 🙂\n",
    ]) {
      expect(readBlockYaml(text, MAX_NESTING_DEPTH, resolvePlain), JSON.stringify(text)).toBeNull();
    }
  });

  it("refuses repeated keys with yaml's issues, every one of them, and reads on", () => {
    for (const text of [
      "a: 1\nb: 2\na: 3\n",
      "a: 1\na: 2\na: 3\nb:\n  c: 1\n  c: 2\n",
      "users:\n  - login: a\n    login: b\n  - login: c\n",
      "m: {a: 1, b: 2, a: 3}\n",
      "x:\n  y:\n    z: 1\n    z: 2\n",
    ]) {
      expect(expectReadAsYaml(text), text).toBe("refused");
    }
    // Object.prototype's names are no repeats: left to the event reader.
    expect(readBlockYaml("toString: 1\n", MAX_NESTING_DEPTH, resolvePlain)).toBeNull();
  });

  it(`leaves nesting past ${MAX_NESTING_DEPTH} levels to the event reader, which places the refusal`, () => {
    const deepMap = (levels: number) =>
      `${Array.from({ length: levels }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n")} leaf\n`;
    expect(expectReadAsYaml(deepMap(MAX_NESTING_DEPTH))).toBe("read");
    expect(readBlockYaml(deepMap(MAX_NESTING_DEPTH + 1), MAX_NESTING_DEPTH, resolvePlain)).toBeNull();
    expect(
      readBlockYaml(`${deepMap(MAX_NESTING_DEPTH - 1)}\nx: [1]\n`, MAX_NESTING_DEPTH, resolvePlain),
    ).not.toBeNull();
  });

  // Documents of the kind org.yaml is (mappings of plain keys at the top, lists of mappings, scalars of every
  // kind), in the block and flow styles yaml writes, then randomly damaged.
  const odd = fc.oneof(
    fc.constantFrom(
      "",
      "~",
      "null",
      "true",
      "True",
      "yes",
      "0",
      "-0",
      "007",
      "0o17",
      "0x1F",
      "+12",
      "1_000",
      "1,000",
      "1.0",
      ".5",
      "1e3",
      ".inf",
      "-.Inf",
      ".nan",
      "2001-12-14",
      "12:30:00",
      "a#b",
      "a #b",
      "a: b",
      "a:b",
      "-",
      "-x",
      "- x",
      "x -",
      "é",
      "'q'",
      '"q"',
      "it's",
      "[a]",
      "{a: 1}",
      "a, b",
      "a\\b",
      "a\nb",
      "a\tb",
      " lead",
      "trail ",
      'q"q',
    ),
    fc.string({ maxLength: 8 }),
    fc.double({ noNaN: true }),
  );
  const scalar = fc.oneof(
    { weight: 1, arbitrary: odd },
    {
      weight: 12,
      arbitrary: fc.constantFrom("Acme Bakery", "u000001@console.test", "team-3", "pro", "Last 1", "O'Brien"),
    },
    { weight: 2, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
  );
  const key = fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom("login", "name", "first_name", "plan", "a-b", "x1", "_k") },
    { weight: 1, arbitrary: fc.constantFrom("1", "true", "x y", "null", "__proto__", "é") },
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small" }, scalar, tie("list"), tie("map")),
    // Lists of lists (`- - x`) are left to the event reader: seldom here.
    list: fc.array(
      fc.oneof(
        { weight: 4, arbitrary: scalar },
        { weight: 4, arbitrary: tie("map") },
        { weight: 1, arbitrary: tie("list") },
      ),
      { maxLength: 4 },
    ),
    map: fc.dictionary(key, tie("node"), { maxKeys: 4 }),
  })).node;
  const top = fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 });
  const style = fc.record({
    defaultStringType: fc.constantFrom("PLAIN", "PLAIN", "PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE"),
    defaultKeyType: fc.constantFrom(null, "PLAIN", "PLAIN", "PLAIN"),
    collectionStyle: fc.constantFrom("any", "block", "block", "block", "flow"),
    indent: fc.integer({ min: 1, max: 4 }),
    indentSeq: fc.constantFrom(true, true, true, false),
    flowCollectionPadding: fc.boolean(),
  });
  const damage = fc.array(
    fc.record({
      at: fc.nat(),
      text: fc.constantFrom(
        "repeat a line",
        "drop a line",
        "a comment line",
        ":",
        " ",
        "\n",
        "- ",
        "-",
        "#",
        " #",
        "'",
        '"',
        "[",
        "]",
        "{",
        "}",
        ",",
        "  ",
        "a",
        "k: ",
        "\\",
      ),
    }),
    { maxLength: 1 },
  );

  it("agrees with yaml on random org-like documents, damaged or not, and reads most of them", () => {
    const seen = { read: 0, refused: 0, left: 0 };
    fc.assert(
      fc.property(top, style, fc.option(damage, { freq: 2 }), (doc, options, edits) => {
        let text = stringify(doc, options as never);
        for (const edit of edits ?? []) {
          const lines = text.split("\n");
          const line = edit.at % lines.length;
          if (edit.text === "repeat a line") lines.splice(line, 0, lines[line]!);
          else if (edit.text === "drop a line") lines.splice(line, 1);
          else if (edit.text === "a comment line") lines.splice(line, 0, `${" ".repeat(edit.at % 5)}# note`);
          else {
            const at = edit.at % (text.length + 1);
            text = text.slice(0, at) + edit.text + text.slice(at);
            continue;
          }
          text = lines.join("\n");
        }
        seen[expectReadAsYaml(text)]++;
      }),
      { numRuns: 3000, seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130) },
    );
    // The property ran on texts the block reader reads, not only on those it leaves.
    expect(seen.read).toBeGreaterThan(500);
    expect(seen.left).toBeGreaterThan(100);
    expect(seen.refused).toBeGreaterThan(0);
  }, 600_000);

  it("agrees with yaml on random org-like documents with tabs among their blanks", () => {
    const seen = { read: 0, refused: 0, left: 0 };
    // Where a tab goes: in place of a space, after an item's dash or a key's colon, at a line's end or start,
    // on a line of its own or before a comment, or anywhere.
    const edit = fc.record({
      at: fc.nat(),
      how: fc.constantFrom(
        ...["space", "start", "anywhere"],
        ...["dash", "colon", "end", "line", "comment"].flatMap((how) => [how, how, how]),
      ),
    });
    fc.assert(
      fc.property(top, style, fc.array(edit, { minLength: 1, maxLength: 5 }), (doc, options, edits) => {
        let text = stringify(doc, options as never);
        for (const { at, how } of edits) {
          const lines = text.split("\n");
          const line = at % lines.length;
          const here = lines[line]!;
          if (how === "space") {
            const spaces = [...here.matchAll(/ /g)].map((m) => m.index);
            if (spaces.length === 0) continue;
            const s = spaces[at % spaces.length]!;
            lines[line] = `${here.slice(0, s)}\t${here.slice(s + 1)}`;
          } else if (how === "dash") lines[line] = here.replace(/- /, at % 3 === 0 ? "-\t\t" : "-\t");
          else if (how === "colon") lines[line] = here.replace(/: /, at % 3 === 0 ? ": \t" : ":\t");
          else if (how === "end") lines[line] = `${here}${at % 2 ? "\t" : " \t# note"}`;
          else if (how === "start") lines[line] = `\t${here}`;
          else if (how === "line") lines.splice(line, 0, " ".repeat(at % 4) + "\t".repeat(1 + (at % 2)));
          else if (how === "comment") lines.splice(line, 0, `${" ".repeat(at % 4)}\t# a\tnote`);
          else {
            const p = at % (text.length + 1);
            text = `${text.slice(0, p)}\t${text.slice(p)}`;
            continue;
          }
          text = lines.join("\n");
        }
        seen[expectReadAsYaml(text)]++;
      }),
      { numRuns: 3000, seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130) },
    );
    // Most tabs among blanks are read, not only left: both kinds are checked against yaml.
    expect(seen.read).toBeGreaterThan(400);
    expect(seen.left).toBeGreaterThan(1000);
  }, 600_000);

  it("agrees with yaml on random org-like documents between document markers", () => {
    const seen = { read: 0, refused: 0, left: 0 };
    const start = fc.constantFrom(
      "",
      "---\n",
      "%YAML 1.1\n---\n",
      "%YAML 1.1 # old\n--- # doc\n",
      "--- # doc\n",
      "%YAML 1.2\n---\n",
      "%YAML 1.2 # v\n---   \n",
      "%YAML 1.1\n---\n",
      "%YAML 1.2\n",
      "%YAML 1.2\n# c\n---\n",
      "---",
      "--- x\n",
      "---\n---\n",
      "# c\n---\n",
    );
    const end = fc.constantFrom(
      "",
      "...\n",
      "... # end\n# c\n\n",
      "...",
      "...\nb: 1\n",
      "...x\n",
      "\n...\n  \n",
      "...\n---\n",
    );
    fc.assert(
      fc.property(start, top, style, end, (before, doc, options, after) => {
        seen[expectReadAsYaml(before + stringify(doc, options as never) + after)]++;
      }),
      { numRuns: 1500, seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130) },
    );
    expect(seen.read).toBeGreaterThan(60);
    expect(seen.left).toBeGreaterThan(300);
  }, 600_000);

  /** Where the value of a `key: value` line or of a `- value` item starts (or anywhere: then yaml decides). */
  const VALUE_START = /^(\s*(?:- )?(?:[^:\s][^:]*: |- ))/;
  /** `stringify`'s text of `doc`, each line a pick points at edited by `edit`. */
  function edited(
    doc: unknown,
    options: unknown,
    picks: number[],
    edit: (line: string, pick: number) => string,
  ) {
    const lines = stringify(doc, options as never).split("\n");
    for (const pick of picks) {
      const line = pick % lines.length;
      lines[line] = edit(lines[line]!, pick);
    }
    return lines.join("\n");
  }

  it("reads a %YAML 1.1 document's plain scalars by that schema, as yaml does", () => {
    const text =
      "%YAML 1.1\n---\na: yes\nb: 0777\nc: 1:30\nd: 2001-12-14\ne: On\nf: 0b101\ng: y\nh: [no, 1_000]\n";
    expect(expectReadAsYaml(text)).toBe("read");
    const fast = fastRead(text, MAX_NESTING_DEPTH, MAX_ALIAS_COUNT);
    expect(fast).toMatchObject({
      value: { a: true, b: 511, c: 90, e: true, f: 5, g: true, h: [false, 1000] },
    });
    // A key that 1.1 resolves to something else than its text (`yes`), and `<<` (a merge there): yaml's.
    for (const left of ["%YAML 1.1\n---\nyes: 1\n", "%YAML 1.1\n---\nb: &b {x: 1}\nc:\n  <<: *b\n"]) {
      expect(readBlockYaml(left, MAX_NESTING_DEPTH, resolvePlain11, { version: "1.1" }), left).toBeNull();
      expect(expectReadAsYaml(left)).toBe("left");
    }
    const seen = { read: 0, refused: 0, left: 0 };
    fc.assert(
      fc.property(top, style, (doc, options) => {
        seen[expectReadAsYaml(`%YAML 1.1\n---\n${stringify(doc, options as never)}`)]++;
      }),
      { numRuns: 1500, seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130) },
    );
    expect(seen.read).toBeGreaterThan(300);
  }, 600_000);

  it("agrees with yaml on random org-like documents whose values are anchored and aliased", () => {
    const seen = { read: 0, refused: 0, left: 0 };
    fc.assert(
      fc.property(top, style, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (doc, options, picks) => {
        // An anchor before a value, or the value replaced by an alias.
        const text = edited(doc, options, picks, (line, pick) =>
          pick % 2 === 0
            ? line.replace(VALUE_START, `$1&a${pick % 3}${pick % 8 === 0 ? "\t" : " "}`)
            : line.replace(new RegExp(`${VALUE_START.source}.*$`), `$1*a${pick % 3}`),
        );
        seen[expectReadAsYaml(text)]++;
      }),
      { numRuns: 2000, seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130) },
    );
    expect(seen.read).toBeGreaterThan(120);
    expect(seen.left).toBeGreaterThan(300);
  }, 600_000);

  it("agrees with yaml on random org-like documents whose values carry core tags", () => {
    const seen = { read: 0, refused: 0, left: 0 };
    fc.assert(
      fc.property(top, style, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), (doc, options, picks) => {
        const tags = ["!!str", "!!int", "!!float", "!!bool", "!!null", "!local", "!", "!!binary"];
        tags.push("!<tag:yaml.org,2002:int>", "!<!x>", "!!timestamp", "!!set");
        const text = edited(doc, options, picks, (line, pick) =>
          line.replace(VALUE_START, `$1${tags[pick % tags.length]}${pick % 4 === 0 ? "  " : " "}`),
        );
        seen[expectReadAsYaml(text)]++;
      }),
      { numRuns: 1500, seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130) },
    );
    // Most tagged documents are read (a tag on a flow value, a key or an empty value is left to yaml).
    expect(seen.read).toBeGreaterThan(150);
    expect(seen.left).toBeGreaterThan(50);
  }, 600_000);
});
