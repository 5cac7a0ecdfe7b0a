/**
 * The YAML reader's own checks: duplicate keys are found in one linear pass (yaml's `uniqueKeys` check is
 * quadratic per mapping) with the same rule as yaml's, and nesting is capped before composing (which
 * recurses) with an error located where the limit is crossed. How long the worst files within the caps take
 * is measured by the benchmark (`npm run bench`), not here.
 */

import { describe, expect, it } from "vitest";
import { parseDocument, YAMLParseError } from "yaml";
import { MAX_NESTING_DEPTH, parseYamlText, WHOLE_READ_MAX_BYTES, yamlIssue } from "../../src/config/load.js";
import { ConfigInvalidError, type ConfigIssue } from "../../src/config/model.js";

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseYamlText(text, "org.yaml");
  } catch (error) {
    if (error instanceof ConfigInvalidError) return error.issues;
    throw error;
  }
  return [];
}

/** Where yaml's own quadratic check (uniqueKeys: true) reports duplicates, as line:col. */
function yamlsDuplicates(text: string): string[] {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  return doc.errors
    .filter((e) => e.code === "DUPLICATE_KEY")
    .map((e) => `${e.linePos![0].line}:${e.linePos![0].col}`);
}

function ourDuplicates(text: string): string[] {
  return issuesOf(text)
    .filter((i) => i.code === "duplicate_key")
    .map((i) => `${i.line}:${i.col}`);
}

describe("duplicate keys", () => {
  it("are located at the second occurrence, naming the key and the first one", () => {
    const issues = issuesOf("version: 1\norganization:\n  name: a\n  plan: pro\n  name: b\n");
    expect(issues).toEqual([
      expect.objectContaining({ line: 5, col: 3, code: "duplicate_key", file: "org.yaml" }),
    ]);
    expect(issues[0]!.message).toBe(
      'the key "name" appears twice in this mapping (first at line 3); keep one of them',
    );
  });

  it("are found at the end of a mapping of 60,000 keys, and only there", () => {
    const lines = Array.from({ length: 60_000 }, (_, i) => `  key${i}: ${i}`);
    const text = `bomb:\n${lines.join("\n")}\n  key17: again\n`;
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.code, i.line, i.col])).toEqual([["duplicate_key", 60_002, 3]]);
    expect(issues[0]!.message).toContain("(first at line 19)");
  });

  it("a file of 60,000 distinct keys is accepted", () => {
    const lines = Array.from({ length: 60_000 }, (_, i) => `k${i}: ${i}`);
    expect(issuesOf(`${lines.join("\n")}\n`)).toEqual([]);
  });

  // The rule is yaml's own (scalar values compared with ===): each case is checked against yaml's check.
  const cases: [string, string][] = [
    ["a number and a string", '1: a\n"1": b\n'],
    ["true and the string true", "true: a\n'true': b\n"],
    ["different case", "a: 1\nA: 2\n"],
    ["quoted and plain spelling of one string", "a b: 1\n'a b': 2\n"],
    ["double and single quotes", "\"x\": 1\n'x': 2\n"],
    ["1 and 1.0", "1: a\n1.0: b\n"],
    ["0x10 and 16", "0x10: a\n16: b\n"],
    ["~ and null", "~: a\nnull: b\n"],
    [".nan twice", ".nan: a\n.nan: b\n"],
    ["two empty keys", ": a\n: b\n"],
    ["mappings as keys", "? {a: 1}\n: x\n? {a: 1}\n: y\n"],
    ["aliases as keys", "base: &k key\nm:\n  *k : 1\n  *k : 2\n"],
    ["an alias and its anchored string", "m:\n  &k key: 1\n  *k : 2\n"],
    ["a flow mapping", "m: {a: 1, b: 2, a: 3}\n"],
    ["maps in a list", "- {a: 1}\n- a: 1\n  b: 2\n  a: 3\n"],
    ["the same key in sibling maps", "x:\n  a: 1\ny:\n  a: 1\n"],
    ["a nested duplicate", "x:\n  y:\n    z: 1\n    z: 2\n"],
    ["an anchored key repeated", "&a k: 1\nk: 2\n"],
    ["a tagged string and a plain one", "!!str 1: a\n'1': b\n"],
    ["a tagged int and a number", "!!int '1': a\n1: b\n"],
  ];
  it.each(cases)("%s: the same answer as yaml's own check", (_name, text) => {
    expect(ourDuplicates(text)).toEqual(yamlsDuplicates(text));
  });

  it("and a syntax error in the same file are reported together, in file order", () => {
    const issues = issuesOf("a: 1\na: 2\nb: [unclosed\n");
    expect(issues.map((i) => i.code)).toEqual(["duplicate_key", "yaml_syntax"]);
  });
});

describe("nesting", () => {
  const deepMap = (levels: number) =>
    Array.from({ length: levels }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + ` leaf\n`;

  it(`is refused past ${MAX_NESTING_DEPTH} block levels, where the limit is crossed, without a JS message`, () => {
    const issues = issuesOf(deepMap(1000));
    expect(issues).toEqual([
      expect.objectContaining({ code: "too_deep", line: MAX_NESTING_DEPTH + 1, col: MAX_NESTING_DEPTH + 1 }),
    ]);
    expect(issues[0]!.message).not.toMatch(/call stack|RangeError/i);
  });

  it("is refused for compact sequences on one line (- - - ...)", () => {
    const issues = issuesOf(`${"- ".repeat(1000)}x\n`);
    expect(issues).toEqual([
      expect.objectContaining({ code: "too_deep", line: 1, col: 2 * MAX_NESTING_DEPTH + 1 }),
    ]);
  });

  it("counts block and flow levels together", () => {
    const text = `${deepMap(MAX_NESTING_DEPTH - 1).replace(/ leaf\n$/, "")} ${"[".repeat(3)}1${"]".repeat(3)}\n`;
    expect(issuesOf(text).map((i) => i.code)).toEqual(["too_deep"]);
  });

  it(`accepts exactly ${MAX_NESTING_DEPTH} levels`, () => {
    expect(issuesOf(deepMap(MAX_NESTING_DEPTH))).toEqual([]);
  });

  it("never reports a JavaScript engine message, at any depth up to a megabyte", () => {
    for (const levels of [65, 200, 1000, 5000]) {
      for (const text of [deepMap(levels), `${"- ".repeat(levels)}x\n`, `${"? ".repeat(levels)}x\n`]) {
        if (text.length > 1_000_000) continue;
        for (const issue of issuesOf(text)) {
          expect(issue.message).not.toMatch(/call stack|RangeError|TypeError|of undefined/i);
        }
      }
    }
  });
});

describe("the parser's errors", () => {
  const at = () => ({ line: 3, col: 7 });
  it("never pass a JavaScript engine message through as yaml_syntax", () => {
    const engine: [ConstructorParameters<typeof YAMLParseError>[1], string][] = [
      ["RESOURCE_EXHAUSTION", "Maximum call stack size exceeded"],
      ["TAG_RESOLVE_FAILED", "Cannot read properties of undefined (reading 'source')"],
      ["TAG_RESOLVE_FAILED", "Invalid array length"],
      ["UNEXPECTED_TOKEN", "x.map is not a function"],
    ];
    for (const [code, message] of engine) {
      const issue = yamlIssue("org.yaml", new YAMLParseError([5, 6], code, message), at);
      expect(issue).toMatchObject({ line: 3, col: 7 });
      expect(issue.message).not.toContain(message);
      expect(issue.message).toMatch(/; (flatten it|rewrite it)$/);
    }
  });

  it("keep the parser's own sentence, with what to do", () => {
    const issue = yamlIssue(
      "org.yaml",
      new YAMLParseError([5, 6], "BAD_INDENT", "All mapping items must start at the same column"),
      at,
    );
    expect(issue).toMatchObject({
      code: "yaml_syntax",
      message: "All mapping items must start at the same column; fix the YAML syntax",
    });
  });
});

describe("a file only yaml could read whole", () => {
  const records = (count: number, record: (i: number) => string) =>
    `version: 1\nbomb:\n${Array.from({ length: count }, (_, i) => record(i)).join("\n")}\n`;

  it(`is read by yaml up to ${WHOLE_READ_MAX_BYTES} bytes, and refused past that where the fast reader stopped`, () => {
    // A tag on a collection: neither fast reader reads it.
    const set = (i: number) => `  k${i}: !!set\n    ? a${i}`;
    const small = records(200, set);
    expect(issuesOf(small)).toEqual([]);
    const large = records(20_000, set);
    expect(large.length).toBeGreaterThan(WHOLE_READ_MAX_BYTES);
    const [issue, ...more] = issuesOf(large);
    expect(more).toEqual([]);
    expect(issue).toMatchObject({ code: "too_complex", line: 3, col: 3 });
    expect(issue!.message).toContain("(a tag)");
    expect(issue!.message).toMatch(/write it as plain block YAML .*`orgctl import` writes it$/);
  });

  it("is refused at the first line the block reader could not read, what js-yaml calls a syntax error too", () => {
    const [issue, ...more] = issuesOf(records(30_000, (i) => `  ? k${i}\n  ! v`));
    expect(more).toEqual([]);
    expect(issue).toMatchObject({ code: "too_complex", line: 3, col: 3 });
    expect(issue!.message).toContain("(a syntax error (");
  });

  it("is still refused with yaml's own problems when a prefix or a reduced text shows them", () => {
    // A problem on every record: the first 64 KB show them (yaml-prefix.ts), the rest is not read.
    const broken = issuesOf(records(30_000, (i) => `  -\tk: v${i}`));
    expect(broken[0]).toMatchObject({ code: "yaml_syntax", line: 3, col: 4 });
    expect(broken.at(-1)).toMatchObject({ code: "not_read" });
    // A syntax error among plain lines: the reduced text shows it (yaml-window.ts).
    const lines = records(80_000, (i) => `  k${i}: v${i}`).split("\n");
    lines.splice(40_000, 0, "  ? explicit", "  ! broken");
    expect(issuesOf(lines.join("\n"))[0]).toMatchObject({ code: "yaml_syntax", line: 40_002 });
  });
});
