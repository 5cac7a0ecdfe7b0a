import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigInvalidError, parseYamlText, readWithYaml } from "../../src/config/load.js";
import type { ConfigIssue } from "../../src/config/model.js";
import { WINDOW_MIN_BYTES, windowRefusal } from "../../src/config/yaml-window.js";

/**
 * A refusal found on a reduced text (yaml-window.ts) must be exactly the refusal `yaml` gives for the whole
 * text: every issue, with its line, column, code and message. Every text here goes through both.
 */
const read = (text: string) => readWithYaml(text, "org.yaml");

function wholeRefusal(text: string): ConfigIssue[] | null {
  try {
    read(text);
    return null;
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    return error.issues;
  }
}

/** "window" when the reduced text answered (and matched), else "whole". */
function expectSameAsWhole(text: string, minRun: number): "window" | "whole" {
  const windowed = windowRefusal(text, read, { minRun });
  if (windowed === null) return "whole";
  expect(windowed, text).toEqual(wholeRefusal(text));
  return "window";
}

function refusalOf(run: () => unknown): ConfigIssue[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigInvalidError) return error.issues;
    throw error;
  }
  return expect.unreachable("accepted");
}

/** `n` simple lines `k<i>: <i>` at `indent`. */
const run = (n: number, indent: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `${" ".repeat(indent)}k${from + i}: ${from + i}`);

/** The runs' fuzz: a seed per CI run, ORGCTL_FUZZ_SEED explores others. */
const SEED = Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130);
const PROPERTY_TIMEOUT_MS = 600_000;

describe("a large file's refusal, found on a reduced text", () => {
  it("is yaml's refusal of the whole file, with a syntax error at its start, middle or end", () => {
    const keys = Math.ceil(WINDOW_MIN_BYTES / 12);
    const body = run(keys, 2);
    const cases = {
      start: ["version: 1", "bomb:", "  first: v: w", ...body],
      middle: [
        "version: 1",
        "bomb:",
        ...body.slice(0, keys / 2),
        '  mid: "unclosed',
        ...body.slice(keys / 2),
      ],
      end: ["version: 1", "bomb:", ...body, "  last: [unclosed"],
      // A duplicate across the cut: the whole file is read (the same answer, the slow way).
      duplicate: ["version: 1", "bomb:", ...body, "  k7: again", "  last: {"],
      // A flow collection left open at the start makes every later line flow content (yaml nests them until
      // too_deep): no run is a block mapping's, and the whole file is read.
      open: ["version: 1", "bomb:", "  first: [unclosed", ...body],
    };
    for (const [name, lines] of Object.entries(cases)) {
      const text = `${lines.join("\n")}\n`;
      expect(text.length, name).toBeGreaterThanOrEqual(WINDOW_MIN_BYTES);
      const whole = wholeRefusal(text);
      expect(whole, name).not.toBeNull();
      expect(
        refusalOf(() => parseYamlText(text, "org.yaml")),
        name,
      ).toEqual(whole);
      const windowed = windowRefusal(text, read);
      if (name === "duplicate" || name === "open") expect(windowed, name).toBeNull();
      else expect(windowed, name).toEqual(whole);
    }
  });

  it("maps every line back: errors between runs, a duplicate key after them, first at a line above", () => {
    const lines = [
      "version: 1",
      "a:",
      ...run(50, 2),
      "  x: [",
      ...run(50, 2, 100),
      "b:",
      "  inner:",
      ...run(50, 4, 200),
      "  dup: 1",
      ...run(50, 2, 300),
      "  dup: 2",
      "c: }",
    ];
    const text = `${lines.join("\n")}\n`;
    const whole = wholeRefusal(text)!;
    expect(whole.map((i) => i.code)).toContain("duplicate_key");
    expect(whole.some((i) => /first at line \d{3}/.test(i.message))).toBe(true);
    expect(windowRefusal(text, read, { minRun: 8 })).toEqual(whole);
  });

  it("numbers lines as yaml does, which skips the newlines of a token it did not expect (seed 20)", () => {
    // `x"\n\np0` is a scalar where yaml expected none: its two newlines are not counted, and the issue after
    // the run is at yaml's line 5, not the text's line 7.
    const text = '"dq: "x"\n\np0:\n    k1: 1\n    k2: 2\n    k3: 3\n  k4: 4\nk5: 5';
    const whole = wholeRefusal(text)!;
    expect(whole.map((i) => i.line)).toEqual([1, 5]);
    expect(windowRefusal(text, read, { minRun: 3 })).toEqual(whole);
  });

  it("keeps a run whole where its lines are not pairs of one block mapping", () => {
    // Inside a block scalar, or a flow collection, the same lines are text or flow pairs.
    const scalar = `a: |\n${run(20, 2).join("\n")}\nb: [\n`;
    expect(windowRefusal(scalar, read, { minRun: 4 })).toBeNull();
    const flow = `a: [\n${run(20, 4).join("\n")}\n`;
    expect(expectSameAsWhole(flow, 4)).toBe("whole");
  });

  // Documents made of runs of simple lines and everything around them that could change how the runs are
  // read, then damaged: wherever the reduced text answers, it answers as the whole text does.
  const line = fc.oneof(
    { weight: 6, arbitrary: fc.constant("RUN") },
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        "PARENT",
        "top: value",
        "list:",
        "  - item",
        "  - k: v",
        "flow: [1, 2]",
        "flow: {a: 1}",
        "anchor: &a v",
        "alias: *a",
        "block: |",
        "folded: >-",
        "# a comment",
        "",
        "quoted: 'x'",
        'dq: "x"',
        "? explicit",
        ": value",
      ),
    },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "  bad: [unclosed",
        "  bad: {unclosed",
        '  bad: "unclosed',
        "  bad: 'unclosed",
        '  q: "open',
        "  q: 'open",
        '  closed"',
        "  closed'",
        '  esc: "a\\',
        "''",
        "\tk: v",
        " k: v",
        "   k: v",
        "k: v: w",
        "  - item",
        "*nope",
        "]",
        "}",
        "[",
        "{",
        "---",
        "...",
        "%YAML 1.2",
        "&a",
        "  k: |",
        "  k: >",
        "      deeper: 1",
        "@x",
        "  k: `",
        "  k0: again",
        "  k3: again",
        "k1: again",
        "  'k2': quoted again",
        '  "k4": dq again',
        "  !!str k5: tagged",
        "  ? k6",
        "  : v",
        "  true: 1",
        "  k: !!int x",
        "  k: [a,",
        "    b]",
        "  k: a",
        "    continued",
      ),
    },
  );
  const doc = fc.record({
    lines: fc.array(
      fc.record({ line, indent: fc.constantFrom(0, 2, 2, 4), length: fc.integer({ min: 1, max: 12 }) }),
      { minLength: 1, maxLength: 14 },
    ),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        text: fc.constantFrom(
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
          "|",
          "&a ",
        ),
      }),
      { maxLength: 2 },
    ),
    minRun: fc.integer({ min: 3, max: 6 }),
    trailingNewline: fc.boolean(),
  });

  it(
    "agrees with yaml on the whole text, for random runs, structure around them and damage",
    () => {
      const seen = { window: 0, whole: 0 };
      fc.assert(
        fc.property(doc, ({ lines, edits, minRun, trailingNewline }) => {
          const out: string[] = [];
          let key = 0;
          for (const { line: kind, indent, length } of lines) {
            if (kind === "RUN") {
              out.push(...run(length, indent, key));
              key += length;
            } else if (kind === "PARENT") out.push(`${" ".repeat(Math.max(0, indent - 2))}p${key++}:`);
            else out.push(kind);
          }
          let text = out.join("\n") + (trailingNewline ? "\n" : "");
          for (const edit of edits) {
            const at = edit.at % (text.length + 1);
            text = text.slice(0, at) + edit.text + text.slice(at);
          }
          seen[expectSameAsWhole(text, minRun)]++;
        }),
        { numRuns: 3000, seed: SEED },
      );
      // The reduced text answered often, and not always.
      expect(seen.window).toBeGreaterThan(300);
      expect(seen.whole).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
