import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reportFailure } from "../../src/cli/errors.js";
import { ConfigInvalidError, parseYamlText, readWithYaml } from "../../src/config/load.js";
import type { ConfigIssue } from "../../src/config/model.js";
import { prefixRefusal } from "../../src/config/yaml-prefix.js";

/**
 * A file refused from a prefix (yaml-prefix.ts) shows exactly the problems `yaml` gives for the whole file
 * before the prefix's last item, then says where it stopped reading.
 */
function yamlIssues(text: string): ConfigIssue[] | null {
  try {
    readWithYaml(text, "org.yaml");
    return null;
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    return error.issues;
  }
}

const read = (prefix: string) => readWithYaml(prefix, "org.yaml");
const plain = (issues: ConfigIssue[]) =>
  issues.map(({ line, col, code, message }) => ({ line, col, code, message }));

/** Lines of every kind: valid ones, broken ones, and constructs over several lines that a cut may split. */
const LINES = [
  "  k: v",
  "  k2: 1 # note",
  "  - x",
  "  - k: v\n    j: w",
  "  k:\n    n: 1",
  "  k: [a, b]",
  "# a comment",
  "",
  "  -\tk: v",
  "  k: a: b",
  '  k: "unclosed',
  "  k: [1, 2",
  "  k: 'x",
  "  k: @x",
  "  \tk: v",
  "  k: v\n   bad: x",
  "  - - x",
  "  k: &a v",
  "  k: *nope",
  "  k: *a",
  '  "k": v',
  "  ? x\n  : y",
  "  k: |\n    text\n\n    more",
  "  k: >\n   folded",
  '  k: "multi\n    line"',
  "  k: [a,\n    b]",
  "  k: {a: 1,\n  b: 2}",
  "  k: !!int x",
  "  k: plain\n    continued",
  "k: top",
  "- top item",
  "---",
  "...",
  "%YAML 1.2",
  "  k: v\t# tab",
  "\tk: v",
  "  k: {",
  "  ]",
];

/**
 * A file of mostly one kind of line (one of `mains`), as a generated or broken file is, with other lines among
 * them: a line is the main one when its pick (0 to `picks`) is below `main`.
 */
function mostly(mains: string[], picks: number, main: number, minLength: number, maxLength: number) {
  const lines = fc.array(fc.tuple(fc.nat(picks), fc.constantFrom(...LINES)), { minLength, maxLength });
  return fc.tuple(fc.constantFrom(...mains), lines).map(([line, others]) => {
    const body = others.map(([pick, other]) => (pick < main ? line : other));
    return `version: 1\nbomb:\n${body.join("\n")}\n`;
  });
}

/** `runs` runs (or ORGCTL_PREFIX_RUNS), from one fixed seed (or ORGCTL_FUZZ_SEED). */
function runs(count: number) {
  return {
    numRuns: Number(process.env.ORGCTL_PREFIX_RUNS ?? count),
    seed: Number(process.env.ORGCTL_FUZZ_SEED ?? 20261130),
  };
}

describe("refusing a file from a prefix", () => {
  it("shows exactly yaml's problems for the whole file before the prefix's last item, then where it stopped", () => {
    const seen = { answered: 0, compared: 0, tooDeepLater: 0, none: 0 };
    fc.assert(
      fc.property(mostly(LINES, 9, 8, 60, 300), fc.integer({ min: 40, max: 400 }), (text, minBytes) => {
        const early = prefixRefusal(text, "org.yaml", read, { minBytes, minIssues: 3 });
        if (!early) {
          seen.none++;
          return;
        }
        seen.answered++;
        const last = early.issues.at(-1)!;
        expect(last).toMatchObject({ code: "not_read", line: early.cutLine, col: 1 });
        const shown = early.issues.slice(0, -1);
        expect(shown.length).toBeGreaterThanOrEqual(3);
        expect(shown.every((issue) => early.shown(issue.line, issue.col) && issue.line < early.cutLine)).toBe(
          true,
        );
        const whole = yamlIssues(text);
        expect(whole, `yaml accepts a file refused from its prefix:\n${text}`).not.toBeNull();
        // yaml refuses nesting past the cap alone, before composing: the one difference allowed.
        if (whole!.length === 1 && whole![0]!.code === "too_deep") {
          seen.tooDeepLater++;
          return;
        }
        seen.compared++;
        const wholeShown = whole!.filter((issue) => early.shown(issue.line, issue.col));
        expect(plain(shown), text).toEqual(plain(wholeShown));
      }),
      runs(6000),
    );
    // The comparison ran, on many files, and the prefix was declined on many others.
    expect(seen.compared).toBeGreaterThan(60);
    expect(seen.none).toBeGreaterThan(1000);
  }, 600_000);

  it("answers nesting past the cap found in a prefix exactly as yaml does for the whole file", () => {
    let deep = 0;
    fc.assert(
      // Lines that each nest one level deeper, with others among them.
      fc.property(
        mostly(["  k: a: b", "  k: a: bb: c", "  - k: a: b"], 29, 28, 100, 400),
        fc.integer({ min: 600, max: 4000 }),
        (text, minBytes) => {
          const early = prefixRefusal(text, "org.yaml", read, { minBytes, minIssues: 3 });
          if (early?.issues.length !== 1 || early.issues[0]!.code !== "too_deep") return;
          deep++;
          expect(plain(yamlIssues(text) ?? []), text).toEqual(plain(early.issues));
        },
      ),
      runs(2000),
    );
    expect(deep).toBeGreaterThan(15);
  }, 600_000);

  it("answers a large file with an error on every line from its prefix, and the CLI says where it stopped", () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `  -\tk: v${i}`);
    const text = `version: 1\nbomb:\n${lines.join("\n")}\n`;
    let issues: ConfigIssue[] = [];
    try {
      parseYamlText(text, "org.yaml");
    } catch (error) {
      if (!(error instanceof ConfigInvalidError)) throw error;
      issues = error.issues;
    }
    const whole = yamlIssues(text)!;
    expect(whole.length).toBe(40_000);
    const notRead = issues.at(-1)!;
    expect(notRead.code).toBe("not_read");
    expect(issues.length).toBeLessThan(whole.length);
    expect(plain(issues.slice(0, -1))).toEqual(plain(whole.slice(0, issues.length - 1)));
    const out: string[] = [];
    expect(reportFailure(new ConfigInvalidError(issues), (line) => out.push(line))).toBe(1);
    expect(out.slice(0, 2).join("")).toBe(
      "org.yaml:3:4 yaml_syntax: Tabs are not allowed as indentation; fix the YAML syntax\n" +
        "org.yaml:4:4 yaml_syntax: Tabs are not allowed as indentation; fix the YAML syntax\n",
    );
    expect(out.at(-2)).toBe(`orgctl: … and ${issues.length - 1 - 50} more problem(s); fix these first\n`);
    expect(out.at(-1)).toBe(
      `org.yaml:${notRead.line}:1 not_read: the file was not read from here on: fix the ${issues.length - 1} problem(s) above and run again\n`,
    );
  });

  it("declines a prefix that ends inside a quoted scalar, a flow collection or a scalar the next line goes on", () => {
    const many = Array.from({ length: 60 }, () => "  -\tk: v").join("\n");
    for (const open of [
      `  - "open\n${"    text\n".repeat(8)}    "`,
      `  - [open,\n${"    x,\n".repeat(8)}    ]`,
    ]) {
      const text = `bomb:\n${many}\n${open}\n${many}\n`;
      // Cut inside the construct: the prefix's problems before it are the whole file's, but the prefix leaves
      // it open, so it proves nothing.
      const inside = text.indexOf("\n", text.indexOf(open) + 12);
      expect(prefixRefusal(text, "org.yaml", read, { minBytes: inside, minIssues: 3 })).toBeNull();
      // Cut after it: answered.
      const after = text.indexOf("\n", text.indexOf(open) + open.length);
      expect(prefixRefusal(text, "org.yaml", read, { minBytes: after, minIssues: 3 })).not.toBeNull();
    }
    // A plain scalar that the cut line goes on (deeper than the sequence's items): declined.
    const deeper = `bomb:\n${many}\n  - plain\n${"      more\n".repeat(8)}${many}\n`;
    const at = deeper.indexOf("  - plain");
    expect(prefixRefusal(deeper, "org.yaml", read, { minBytes: at + 3, minIssues: 3 })).toBeNull();
  });
});
