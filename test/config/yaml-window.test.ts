import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConfigInvalidError,
  locatePath,
  type PathSegment,
  parseYamlText,
  readWithYaml,
} from "../../src/config/load.js";
import type { ConfigIssue } from "../../src/config/model.js";
import {
  refuseFromWindowFirst,
  WINDOW_MIN_BYTES,
  type WindowAcceptance,
  windowAnswer,
  windowRefusal,
} from "../../src/config/yaml-window.js";
import { CHAIN_KEPT } from "../../src/config/yaml-window-chain.js";
import { findRecordRuns } from "../../src/config/yaml-window-records.js";

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

/**
 * "window" when the reduced text gave the refusal (and it matched the whole file's), "accepted" when the
 * whole file's value was built from it (and matched), else "whole".
 */
function expectSameAsWhole(
  text: string,
  minRun: number,
  minRecords = 16,
  chainMaxPrefix = 0.5,
): "window" | "accepted" | "whole" {
  const answer = windowAnswer(text, read, { minRun, minRecords, chainMaxPrefix });
  if (answer === null) return "whole";
  if (Array.isArray(answer)) {
    expect(answer, text).toEqual(wholeRefusal(text));
    return "window";
  }
  expectSameValue(text, answer);
  return "accepted";
}

/** Every path of a value (keys and indexes), depth first, at most `limit` of them. */
function pathsOf(value: unknown, limit = 400): PathSegment[][] {
  const out: PathSegment[][] = [];
  const walk = (v: unknown, path: PathSegment[]) => {
    if (out.length >= limit) return;
    out.push(path);
    if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) walk(item, [...path, i]);
    } else if (v && typeof v === "object")
      for (const [k, item] of Object.entries(v)) walk(item, [...path, k]);
  };
  walk(value, []);
  return out;
}

/** The value `yaml` makes of the whole text (key order included), and its positions, are the acceptance's. */
function expectSameValue(text: string, accepted: WindowAcceptance): void {
  const whole = read(text);
  expect(accepted.value, text).toEqual(whole.value);
  expect(JSON.stringify(accepted.value), text).toBe(JSON.stringify(whole.value));
  for (const path of pathsOf(whole.value)) {
    for (const atKey of [false, true]) {
      expect(accepted.locate(path, atKey), `${JSON.stringify(path)} ${atKey}`).toEqual(
        locatePath(whole.doc, path, whole.locateOffset, atKey),
      );
    }
  }
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
      // A flow collection left open at the start makes every later line one level deeper (the bench's file):
      // the refusal is too_deep, read from a prefix (yaml-window-chain.ts).
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
      if (name === "duplicate") expect(windowed, name).toBeNull();
      else expect(windowed, name).toEqual(whole);
    }
  });

  it("answers before the event reader only from a reduced text of at most an eighth of the file", () => {
    const keys = Math.ceil(WINDOW_MIN_BYTES / 12);
    const body = run(keys, 2);
    const readLengths: number[] = [];
    const counted = (text: string) => {
      readLengths.push(text.length);
      return read(text);
    };
    // An error late in plain lines: refused from the reduced text, exactly as yaml refuses the whole file.
    const late = `${["version: 1", "bomb:", ...body, "  last: [unclosed"].join("\n")}\n`;
    expect(refusalOf(() => refuseFromWindowFirst(late, counted))).toEqual(wholeRefusal(late));
    expect(readLengths).toHaveLength(1);
    expect(readLengths[0]).toBeLessThanOrEqual(late.length / 8);
    // A valid file: the reduced text is accepted, and the whole file's value is built from it.
    readLengths.length = 0;
    const valid = `${["version: 1", "bomb:", ...body].join("\n")}\n`;
    const accepted = refuseFromWindowFirst(valid, counted);
    expect(accepted).toMatchObject({ value: read(valid).value });
    expect(readLengths).toHaveLength(1);
    // Lines that cannot be cut (every value quoted): nothing is read, the event reader decides.
    readLengths.length = 0;
    const quoted = `${["version: 1", "bomb:", ...body.map((line) => line.replace(": ", ': "') + '"')].join("\n")}\n`;
    expect(refuseFromWindowFirst(quoted, counted)).toBeNull();
    // Too little to cut (half the lines carry a comment, 64 at a time): the reduced text is too long to read
    // first, and nothing is read; without the budget it is read.
    const broken = `${["version: 1", "bomb:", ...body.map((line, i) => (i % 128 < 64 ? `${line} # c` : line))].join("\n")}\n`;
    expect(refuseFromWindowFirst(broken, counted)).toBeNull();
    expect(readLengths).toEqual([]);
    expect(windowRefusal(broken, counted)).toBeNull();
    expect(readLengths).toHaveLength(1);
    expect(readLengths[0]).toBeGreaterThan(broken.length / 8);
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
      const seen = { window: 0, accepted: 0, whole: 0 };
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
      expect(seen.accepted).toBeGreaterThan(50);
      expect(seen.whole).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it("is yaml's refusal of a large org.yaml whose users are records of several lines, error last", () => {
    const users = Array.from({ length: 3000 }, (_, i) => [
      `  - login: u${i}`,
      `    email: u${i}@example.test`,
      ...(i % 3 === 0 ? ["    aliases:", `      - a${i}@example.test`] : []),
      "    groups:",
      `      - team-${i % 7}`,
      ...(i % 5 === 0 ? [`      - team-${i % 11}`] : []),
    ]);
    const cases = {
      // The bench's file: a record whose last line is a duplicate key with an unclosed flow sequence.
      end: ["version: 1", "users:", ...users.flat(), "    role: [member"],
      middle: [
        "version: 1",
        "users:",
        ...users.slice(0, 1500).flat(),
        '    bad: "open',
        ...users.slice(1500).flat(),
      ],
      start: ["version: 1", "bad: x: y", "users:", ...users.flat()],
      // A removed record's key repeats across records (fine) and inside one record (a duplicate of yaml's).
      duplicate: [
        "version: 1",
        "users:",
        ...users.slice(0, 2000).flat(),
        "    email: again",
        ...users.slice(2000).flat(),
        "x: [",
      ],
    };
    for (const [name, lines] of Object.entries(cases)) {
      const text = `${lines.join("\n")}\n`;
      expect(text.length, name).toBeGreaterThanOrEqual(WINDOW_MIN_BYTES);
      const whole = wholeRefusal(text);
      expect(whole, name).not.toBeNull();
      expect(findRecordRuns(text, 16).length, name).toBeGreaterThan(0);
      expect(windowRefusal(text, read), name).toEqual(whole);
      expect(
        refusalOf(() => parseYamlText(text, "org.yaml")),
        name,
      ).toEqual(whole);
    }
  });

  it("reads the whole file under a %YAML 1.1 directive, where yes and on are the same key", () => {
    const text = `${["%YAML 1.1", "---", "bomb:", "  yes: 1", ...run(20, 2), "  on: 2", "  last: [unclosed"].join("\n")}\n`;
    expect(wholeRefusal(text)!.map((i) => i.code)).toContain("duplicate_key");
    expect(windowRefusal(text, read, { minRun: 3 })).toBeNull();
  });

  // Sequences of records (items of several lines) in every shape the record lines allow, with the structure
  // around them and damage: wherever the reduced text answers, it answers as the whole text does.
  const recordLine = fc.constantFrom(
    "  email: e",
    "  plan: free",
    "  groups:",
    "    - team",
    "  - team",
    "  aliases:",
    "    - alias",
    "      - deep",
    "    nested: v",
    "  login: again",
    "  n: 1",
    "  b: true",
    "  x: [1",
    "  y: {",
    "  # comment",
    "",
    "    - k: v",
    "  k:",
    "   odd: 3",
    "  - - z",
  );
  const record = fc.record({
    head: fc.constantFrom("- login: L", "- L", "- login:", "- - L", "- login: L # c"),
    body: fc.array(recordLine, { maxLength: 5 }),
  });
  const recordDoc = fc.record({
    parts: fc.array(
      fc.oneof(
        {
          weight: 5,
          arbitrary: fc.record({
            kind: fc.constant("records" as const),
            indent: fc.constantFrom(0, 2, 4),
            shapes: fc.array(record, { minLength: 1, maxLength: 3 }),
            count: fc.integer({ min: 1, max: 14 }),
            pick: fc.array(fc.nat(), { minLength: 14, maxLength: 14 }),
          }),
        },
        {
          weight: 3,
          arbitrary: fc.record({
            kind: fc.constant("line" as const),
            line: fc.constantFrom(
              "users:",
              "list:",
              "  inner:",
              "top: v",
              "  k: v",
              "flow: [",
              "  ]",
              "  - [a,",
              "anchor: &a",
              "  - *a",
              "block: |",
              "'q",
              "---",
              "  - ? k",
              "? x",
              "\t- t",
            ),
          }),
        },
      ),
      { minLength: 1, maxLength: 8 },
    ),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        text: fc.constantFrom(":", " ", "\n", "- ", "#", "'", '"', "[", "{", "]", "  ", "&a ", "!t "),
      }),
      { maxLength: 2 },
    ),
    minRecords: fc.integer({ min: 3, max: 5 }),
    trailingNewline: fc.boolean(),
  });

  it(
    "agrees with yaml on the whole text, for random sequences of records, structure around them and damage",
    () => {
      const seen = { window: 0, accepted: 0, whole: 0, records: 0 };
      fc.assert(
        fc.property(recordDoc, ({ parts, edits, minRecords, trailingNewline }) => {
          const out: string[] = [];
          let n = 0;
          for (const part of parts) {
            if (part.kind === "line") {
              out.push(part.line);
              continue;
            }
            const pad = " ".repeat(part.indent);
            for (let r = 0; r < part.count; r++) {
              const shape = part.shapes[part.pick[r]! % part.shapes.length]!;
              const name = `u${n++}`;
              out.push(pad + shape.head.replace("L", name));
              for (const line of shape.body)
                out.push(line === "" ? "" : pad + line.replace("e", `${name}@x`));
            }
          }
          let text = out.join("\n") + (trailingNewline ? "\n" : "");
          for (const edit of edits) {
            const at = edit.at % (text.length + 1);
            text = text.slice(0, at) + edit.text + text.slice(at);
          }
          const answered = expectSameAsWhole(text, 64, minRecords);
          seen[answered]++;
          // The reduced text answered only because records were removed.
          if (answered === "window" && windowRefusal(text, read, { minRun: 64, minRecords: 1e9 }) === null)
            seen.records++;
        }),
        { numRuns: 3000, seed: SEED },
      );
      // Records were removed often, and the whole file was read sometimes.
      expect(seen.records).toBeGreaterThan(100);
      expect(seen.whole).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );

  // An opener left open (or any damage) before a long tail of `key: value` lines, which yaml may read as ever
  // deeper mappings: wherever the prefix answers, it answers as the whole text does.
  const chainDoc = fc.record({
    head: fc.array(
      fc.constantFrom(
        "version: 1",
        "bomb:",
        "  first: [unclosed",
        "  first: {unclosed",
        "first: [unclosed",
        "  - [a,",
        "  k: v",
        "  k: a: b",
        "list:",
        "  - item",
        "  x: [1, 2]",
        '  q: "open',
        "  q: 'open",
        "  k: |",
        "deep:",
        "    deeper: [",
        "  ]",
        "#c",
      ),
      { minLength: 1, maxLength: 6 },
    ),
    tail: fc.integer({ min: CHAIN_KEPT - 4, max: CHAIN_KEPT + 40 }),
    indent: fc.constantFrom(1, 2, 2, 4),
    // A line of another indent somewhere in the tail, or damage, or none.
    breaker: fc.option(
      fc.record({
        at: fc.nat(),
        line: fc.constantFrom("other: x", "  other: x", "   k: v", "  - x", "  k: [", "  #c"),
      }),
    ),
  });

  it(
    "agrees with yaml on the whole text where an open collection nests every later line deeper",
    () => {
      const seen = { window: 0, accepted: 0, whole: 0 };
      fc.assert(
        fc.property(chainDoc, ({ head, tail, indent, breaker }) => {
          const lines = [...head, ...run(tail, indent)];
          if (breaker) lines.splice(head.length + (breaker.at % (tail + 1)), 0, breaker.line);
          seen[expectSameAsWhole(`${lines.join("\n")}\n`, 1e9, 1e9, 1)]++;
        }),
        { numRuns: 1000, seed: SEED },
      );
      expect(seen.window).toBeGreaterThan(30);
      expect(seen.whole).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/**
 * A valid large file that the fast reader leaves to `yaml` is accepted from its reduced text: the value
 * (key order included) and every position are `yaml`'s for the whole file (yaml-window-accept.ts).
 */
describe("a large valid file's value, built from a reduced text", () => {
  const keys = Math.ceil(WINDOW_MIN_BYTES / 12);
  const body = run(keys, 2);
  /** A users list of `n` records at `indent` (the dashes), like org.yaml's. */
  const users = (n: number, indent: number) =>
    Array.from({ length: n }, (_, i) => {
      const pad = " ".repeat(indent);
      const lines = [`${pad}- login: u${i}`, `${pad}  email: u${i}@example.com`, `${pad}  plan: pro`];
      if (i % 3 === 0) lines.push(`${pad}  groups:`, `${pad}    - team${i % 7}`, `${pad}    - all`);
      return lines.join("\n");
    });

  /** The loader's answer for the whole text is yaml's, and the window built it (not `yaml` on the whole). */
  function expectBuilt(text: string): void {
    const answer = windowAnswer(text, read);
    expect(answer === null || Array.isArray(answer) ? answer : "built").toBe("built");
    expectSameValue(text, answer as WindowAcceptance);
    // The loader answers the same, positions included.
    const whole = read(text);
    const loaded = parseYamlText(text, "org.yaml");
    expect(loaded.value).toEqual(whole.value);
    for (const path of pathsOf(whole.value, 60)) {
      expect(loaded.locate(path, true)).toEqual(locatePath(whole.doc, path, whole.locateOffset, true));
    }
  }

  const cases: Record<string, string> = {
    "an explicit tag last": `${["version: 1", "bomb:", ...body, "  tagged: !!str 5"].join("\n")}\n`,
    "an explicit tag first": `${["version: 1", "bomb:", "  tagged: !!int 7", ...body].join("\n")}\n`,
    "a block scalar with an indentation indicator last": `${["version: 1", "bomb:", ...body, "  text: |2", "     indented"].join("\n")}\n`,
    "a tab after a block indicator": `${["version: 1", "list:", "  -\tx", "bomb:", ...body].join("\n")}\n`,
    "records, a tag in one of them": `${["version: 1", "users:", ...users(4000, 2).map((r, i) => (i === 3000 ? r.replace("plan: pro", "plan: !!str pro") : r))].join("\n")}\n`,
    "records and pairs, an anchor and its alias": `${["version: 1", "base: &b {plan: pro}", "users:", ...users(3000, 4).map((r) => `  ${r.trimStart()}`.replace(/^ {2}/, "    ")), "bomb:", ...body, "  again: *b", "  tagged: !!str x"].join("\n")}\n`,
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`is yaml's value and positions for the whole file: ${name}`, () => expectBuilt(text));
  }

  it("is not built where the removed lines cannot be put back: the whole file is read", () => {
    // Records at column 0 (an indentless sequence) and lines of a quoted scalar.
    const indentless = `${["version: 1", "users:", ...users(4000, 0), "tagged: !!str 5"].join("\n")}\n`;
    const quoted = `${["version: 1", 'note: "start', ...body, '  end"', "tagged: !!str 5"].join("\n")}\n`;
    for (const text of [indentless, quoted]) {
      expect(windowAnswer(text, read)).toBeNull();
      expect(parseYamlText(text, "org.yaml").value).toEqual(read(text).value);
    }
  });

  // Valid documents of pairs, records and constructs the fast reader leaves to `yaml`, at random.
  const odd = fc.constantFrom(
    "  K: !!str 5",
    "  K: !!int 7",
    "  K: |2\n     indented",
    "  K: >-\n    two\n    lines",
    "  K: {a: 1, b: [x, y]}",
    '  "K": 1',
    "  ? K\n  : value",
    "  K: &a {k: v}",
    "  K:",
    "  K: ~",
    "  # a comment",
    "  K: [1, 2]",
    "  K: {__proto__: 1}",
    "  K: 'single'",
  );
  const section = fc.oneof(
    fc.record({
      kind: fc.constant("pairs" as const),
      length: fc.integer({ min: 1, max: 90 }),
      odd: fc.array(odd, { maxLength: 3 }),
      at: fc.nat(),
    }),
    fc.record({
      kind: fc.constant("records" as const),
      count: fc.integer({ min: 1, max: 40 }),
      indent: fc.constantFrom(0, 2, 4),
      tagAt: fc.option(fc.nat()),
    }),
  );
  it(
    "is yaml's value and positions for random valid documents",
    () => {
      const seen = { built: 0, other: 0 };
      fc.assert(
        fc.property(
          fc.array(section, { minLength: 1, maxLength: 6 }),
          fc.integer({ min: 3, max: 8 }),
          (sections, min) => {
            const out = ["version: 1"];
            let key = 0;
            sections.forEach((part, s) => {
              if (part.kind === "pairs") {
                out.push(`p${s}:`);
                const lines = run(part.length, 2, key);
                key += part.length;
                for (const [j, line] of part.odd.entries())
                  lines.splice(part.at % (lines.length + 1), 0, line.replace("K", `o${s}x${j}`));
                out.push(...lines);
              } else {
                out.push(`r${s}:`);
                const records = users(part.count, part.indent).map((r) => r.replace(/u(\d+)/g, `u$1x${s}`));
                if (part.tagAt !== null) {
                  const i = part.tagAt % records.length;
                  records[i] = records[i]!.replace("plan: pro", "plan: !!str pro");
                }
                out.push(...records);
              }
            });
            const text = `${out.join("\n")}\n`;
            const answer = windowAnswer(text, read, { minRun: min, minRecords: min });
            if (answer !== null && !Array.isArray(answer)) {
              expectSameValue(text, answer);
              seen.built++;
            } else {
              expect(answer).toBeNull();
              seen.other++;
            }
          },
        ),
        { numRuns: 400, seed: SEED },
      );
      expect(seen.built).toBeGreaterThan(150);
      expect(seen.other).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
