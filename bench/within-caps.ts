/**
 * The worst org.yaml files within orgctl's documented caps (MAX_CONFIG_BYTES, MAX_YAML_NODES,
 * MAX_NESTING_DEPTH): each must be refused or accepted in under 2 s. Run by `npm run bench` (the CLI, start-up
 * included) and on its own: `node dist/bench/bench/within-caps.js` prints the figures.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  MAX_ALIAS_COUNT,
  MAX_CONFIG_BYTES,
  MAX_FLOW_DEPTH,
  MAX_NESTING_DEPTH,
  MAX_YAML_NODES,
  readWithYaml,
  WHOLE_READ_MAX_BYTES,
} from "../src/config/load.js";
import { generateOrg, orgYaml } from "./generate.js";

export const WITHIN_CAPS_TARGET_MS = 2000;

const HEADER = "version: 1\norganization:\n  name: Bench Org\n";
/** Lines (YAML values, as orgctl counts them) left for a case after the header and its own framing. */
const LINES = MAX_YAML_NODES - 20;

/** `n` lines of `key: value` in one mapping under `bomb:`, each padded so that the file nears the byte cap. */
function oneMapping(n: number, lineBytes: number, duplicateAtEnd: boolean): string {
  const pad = "x".repeat(Math.max(0, lineBytes - 20));
  const lines = Array.from({ length: n }, (_, i) => `  k${i}${pad}: ${i}`);
  if (duplicateAtEnd) lines[n - 1] = `  k0${pad}: again`;
  return `${HEADER}bomb:\n${lines.join("\n")}\n`;
}

/** `text` (a oneMapping) with `line` inserted before its mapping's `at`-th key. */
function withLine(text: string, at: number, line: string): string {
  const lines = text.split("\n");
  const first = lines.indexOf("bomb:") + 1;
  lines.splice(first + at, 0, line);
  return lines.join("\n");
}

/** `text` with its first or last user's first name as a block scalar with an indentation indicator. */
function withIndicator(text: string, which: "first" | "last"): string {
  const line = "\n    first_name: First\n";
  const at = which === "first" ? text.indexOf(line) : text.lastIndexOf(line);
  return `${text.slice(0, at)}\n    first_name: |2\n      First\n${text.slice(at + line.length)}`;
}

/**
 * `n` lines made by `line` under `bomb:`, each padded (`pad`, the same for all) so that the file nears the
 * byte cap: as many bytes as the cap allows for as many values as the value cap allows.
 */
function padded(n: number, line: (i: number, pad: string) => string): string {
  const count = Math.floor(n);
  const bare = `${HEADER}bomb:\n${Array.from({ length: count }, (_, i) => line(i, "")).join("\n")}\n`;
  const pad = "x".repeat(Math.max(0, Math.floor((MAX_CONFIG_BYTES - 4096 - bare.length) / count)));
  return `${HEADER}bomb:\n${Array.from({ length: count }, (_, i) => line(i, pad)).join("\n")}\n`;
}

/** `head`, then lines made by `line`, as many as fit in `bytes`. */
function fitted(bytes: number, head: string, line: (i: number) => string): string {
  const lines: string[] = [];
  let size = head.length;
  for (let i = 0; ; i++) {
    const next = `${line(i)}\n`;
    if (size + next.length > bytes) break;
    lines.push(next);
    size += next.length;
  }
  return head + lines.join("");
}

/** Mappings nested `depth` levels deep, repeated as often as both caps allow. */
function nested(depth: number): string {
  const one = Array.from({ length: depth - 1 }, (_, i) => `${" ".repeat(i + 2)}n${i}:`).join("\n");
  const bytesEach = one.length + 16;
  const copies = Math.min(Math.floor(LINES / depth), Math.floor((MAX_CONFIG_BYTES - 4096) / bytesEach));
  const blocks = Array.from({ length: copies }, (_, c) => ` c${c}:\n${one} leaf`);
  return `${HEADER}bomb:\n${blocks.join("\n")}\n`;
}

export interface WithinCapsCase {
  name: string;
  text: () => string;
  /** Also time `yaml` alone reading the whole file (in this process), for a ratio in the same run. */
  reference?: boolean;
}

export const WITHIN_CAPS_CASES: WithinCapsCase[] = [
  // The file of issue 8: one mapping of distinct keys, as many as the value cap allows, about 23 bytes each.
  { name: `one mapping, ${LINES} distinct keys`, text: () => oneMapping(LINES, 23, false) },
  { name: `one mapping, ${LINES} keys, the duplicate last`, text: () => oneMapping(LINES, 23, true) },
  // As many keys as fit in the byte cap at the value cap: the longest keys.
  {
    name: `one mapping, ${LINES} long keys (near the byte cap)`,
    text: () => oneMapping(LINES, Math.floor((MAX_CONFIG_BYTES - 4096) / LINES), false),
  },
  {
    name: `one flow sequence of ${LINES} values`,
    text: () => `${HEADER}bomb: [${Array(LINES).fill("1").join(",")}]\n`,
  },
  {
    name: `${Math.floor(LINES / 2)} flow mappings of two keys`,
    text: () => `${HEADER}bomb:\n${"  - {a: 1}\n".repeat(Math.floor(LINES / 2))}`,
  },
  {
    name: `nesting at the cap (${MAX_NESTING_DEPTH} levels), repeated`,
    text: () => nested(MAX_NESTING_DEPTH - 1),
  },
  {
    name: `flow nesting at the cap (${MAX_FLOW_DEPTH} levels), repeated`,
    text: () => {
      const one = `${"[".repeat(MAX_FLOW_DEPTH - 1)}1${"]".repeat(MAX_FLOW_DEPTH - 1)}`;
      return `${HEADER}bomb:\n${`  - ${one}\n`.repeat(Math.floor(LINES / MAX_FLOW_DEPTH))}`;
    },
  },
  {
    name: "long strings up to the byte cap",
    text: () => `${HEADER}bomb:\n${`  - ${"y".repeat(8000)}\n`.repeat(Math.floor(MAX_CONFIG_BYTES / 8100))}`,
  },
  // Aliases: each anchor aliased as often as the alias cap allows (accepted), then one anchor aliased past it
  // (refused, but only after the whole file is read for duplicate keys), and an empty list aliased without end.
  {
    name: `${Math.floor(LINES / 1000)} anchors, each aliased ${MAX_ALIAS_COUNT - 1} times`,
    text: () => {
      const groups = Array.from({ length: Math.floor(LINES / 1000) }, (_, g) => {
        const name = `anchor${g}${"x".repeat(8)}`;
        return `  g${g}: &${name} {login: user${g}, plan: business}\n  l${g}:\n${`    - *${name}\n`.repeat(MAX_ALIAS_COUNT - 1)}`;
      });
      return `${HEADER}bomb:\n${groups.join("")}`;
    },
  },
  {
    name: `one anchor aliased ${LINES} times (past the alias cap)`,
    text: () =>
      `${HEADER}base: &base {login: someone, plan: business}\nbomb:\n${"  - *base\n".repeat(LINES)}`,
  },
  {
    name: `an empty list aliased ${LINES} times`,
    text: () => `${HEADER}base: &base []\nbomb:\n${"  - *base\n".repeat(LINES)}`,
  },
  // Syntax errors: `yaml` explains them (the reference for code, message and place); in a large file it reads a
  // reduced text that gives the same answer (src/config/yaml-window.ts). `reference` also times `yaml` alone
  // on the whole file, for the ratio.
  {
    name: `one mapping, ${LINES} keys, a syntax error in the last line`,
    text: () => `${oneMapping(LINES - 1, 23, false)}  last: [unclosed\n`,
    reference: true,
  },
  {
    name: `one mapping, ${LINES} keys, an unclosed quote in the middle`,
    text: () => withLine(oneMapping(LINES - 1, 23, false), LINES / 2, '  mid: "unclosed'),
    reference: true,
  },
  {
    name: `one mapping, ${LINES} keys, a syntax error in the first line`,
    text: () => withLine(oneMapping(LINES - 1, 23, false), 0, "  first: a: b"),
    reference: true,
  },
  {
    name: `one mapping, ${LINES} keys, an unclosed [ in the first line`,
    text: () => withLine(oneMapping(LINES - 1, 23, false), 0, "  first: [unclosed"),
    reference: true,
  },
  // Valid YAML the fast readers do not compose (a tag other than a core one, a block scalar with an indentation
  // indicator): the value is built from the reduced text, with the removed pairs put back
  // (yaml-window-accept.ts).
  {
    name: `one mapping, ${LINES} keys, a verbatim tag (!<tag:yaml.org,2002:str>) in the last line`,
    text: () => `${oneMapping(LINES - 1, 23, false)}  tagged: !<tag:yaml.org,2002:str> 5\n`,
    reference: true,
  },
  {
    name: `one mapping, ${LINES} keys, a block scalar with an indentation indicator last`,
    text: () => `${oneMapping(LINES - 2, 23, false)}  text: |2\n     indented\n`,
    reference: true,
  },
  {
    name: "a real organization of 30,000 users (the documented size)",
    text: () => orgYaml(generateOrg(30_000), { login: "owner", email: "owner@console.test" }, "bench"),
  },
  // The same organization with one value the fast readers leave to `yaml` (an indentation indicator): its value is built
  // from the reduced text (yaml-window-accept.ts), whether the tag comes first (after the event reader) or
  // last (before it).
  {
    name: "the same organization, a block scalar with an indentation indicator in its first user",
    text: () =>
      withIndicator(
        orgYaml(generateOrg(30_000), { login: "owner", email: "owner@console.test" }, "bench"),
        "first",
      ),
    reference: true,
  },
  {
    name: "the same organization, a block scalar with an indentation indicator in its last user",
    text: () =>
      withIndicator(
        orgYaml(generateOrg(30_000), { login: "owner", email: "owner@console.test" }, "bench"),
        "last",
      ),
    reference: true,
  },
  // Every value with a core or a local tag: the block reader reads such tags itself.
  {
    name: `one mapping, ${LINES} keys, every value tagged !!int`,
    text: () => oneMapping(LINES, 23, false).replace(/: (\d+)$/gm, ": !!int $1"),
  },
  {
    name: `one mapping, ${LINES} keys, every value with a local tag (!local)`,
    text: () => oneMapping(LINES, 23, false).replace(/: (\d+)$/gm, ": !local $1"),
  },
  // Every value a block scalar with an indentation indicator (the event reader reads those without a line of
  // spaces only), or with a verbatim tag (the block reader reads the core ones).
  {
    name: `${Math.floor(LINES / 2)} block scalars with an indentation indicator of 2`,
    text: () =>
      `${HEADER}bomb:\n${Array.from({ length: Math.floor(LINES / 2) - 1 }, (_, i) => `  k${i}: |2\n     t${i}`).join("\n")}\n`,
  },
  {
    name: `one mapping, ${Math.floor(LINES / 2)} keys, every value with a verbatim tag`,
    text: () =>
      oneMapping(Math.floor(LINES / 2), 23, false).replace(/: (\d+)$/gm, ": !<tag:yaml.org,2002:int> $1"),
  },
  // Tabs where `yaml` reads them as blanks, and the document markers: the block reader reads them itself.
  {
    name: `${LINES} list items, each with a tab after its dash`,
    text: () => `${HEADER}bomb:\n${Array.from({ length: LINES }, (_, i) => `  -\tv${i}`).join("\n")}\n`,
  },
  {
    name: `one mapping, ${Math.floor(LINES / 3)} flow lists of two values, a tab after each comma`,
    text: () =>
      `${HEADER}bomb:\n${Array.from({ length: Math.floor(LINES / 3) }, (_, i) => `  k${i}: [1,\t2]`).join("\n")}\n`,
  },
  {
    name: `one mapping, ${Math.floor(LINES / 2)} keys, a comment line indented by a tab after each`,
    text: () => oneMapping(Math.floor(LINES / 2), 23, false).replace(/: (\d+)$/gm, ": $1\n\t# note"),
  },
  {
    name: `one mapping, ${LINES} keys, between %YAML 1.2, --- and ...`,
    text: () => `%YAML 1.2\n---\n${oneMapping(LINES, 23, false)}...\n`,
  },
  {
    name: `one mapping, ${LINES} keys, a %YAML 1.1 document (its values \`yes\`, \`0777\`, \`1:30\`...)`,
    text: () => {
      const values = ["yes", "0777", "1:30", "on", "2001-12-14", "x"];
      return `%YAML 1.1\n---\n${oneMapping(LINES, 23, false).replace(/: (\d+)$/gm, (_, i) => `: ${values[i % 6]}`)}`;
    },
  },
  {
    name: `${Math.floor(LINES / 2)} list items \`- on: N\` in a %YAML 1.1 document (every key true there)`,
    text: () =>
      `%YAML 1.1\n---\n${HEADER}bomb:\n${Array.from({ length: Math.floor(LINES / 2) }, (_, i) => `  - on: ${i}`).join("\n")}\n`,
  },
  // The scalar tags `yaml` knows besides the core ones: a Buffer and a Date, read by the block reader too.
  {
    name: `one mapping, ${Math.floor(LINES * 0.8)} keys, every value !!binary`,
    text: () => oneMapping(Math.floor(LINES * 0.8), 23, false).replace(/: (\d+)$/gm, ": !!binary aGVsbG8="),
  },
  {
    name: `one mapping, ${Math.floor(LINES * 0.7)} keys, every value !!timestamp`,
    text: () =>
      oneMapping(Math.floor(LINES * 0.7), 23, false).replace(/: (\d+)$/gm, ": !!timestamp 2001-12-14"),
  },
  // The constructs the block reader leaves, each on every line and padded to the byte cap: the event reader
  // reads them (a tab in a quoted scalar, an anchor, an escaped line break before an empty line), or `yaml`
  // whole (an indentation indicator with a line of spaces in its block scalar).
  {
    name: `one mapping, ${LINES} keys, every value a quoted scalar holding a tab (padded to the byte cap)`,
    text: () => padded(LINES, (i, pad) => `  k${i}: "a\t${pad}"`),
  },
  {
    name: `one mapping, ${LINES} keys, every value anchored (padded to the byte cap)`,
    text: () => padded(LINES, (i, pad) => `  k${i}: &a${i} v${pad}`),
  },
  {
    name: `one mapping, ${Math.floor(LINES / 3)} keys, every value an escaped line break before an empty line`,
    text: () => padded(LINES / 3, (i, pad) => `  k${i}: "a${pad}\\\n\n    b"`),
  },
  {
    name: `${Math.floor(LINES / 4)} block scalars with an indentation indicator and a line of spaces`,
    text: () => padded(LINES / 4, (i, pad) => `  k${i}: |2\n     t${pad}\n  \n     u`),
  },
  // A problem on every line: refused from a prefix (yaml-prefix.ts), the problems shown those `yaml` gives
  // for the whole file there, then where the reading stopped; or nesting past the cap found in the prefix.
  {
    name: `${Math.floor(LINES / 2)} list items, each a key after a tab after its dash (a problem on every line)`,
    text: () => padded(LINES / 2, (i, pad) => `  -\tk: v${i}${pad}`),
  },
  {
    name: `${LINES} lines \`k: a: b\`, each nesting one level deeper (past the cap at line 67)`,
    text: () => padded(LINES, (i, pad) => `  k${i}: a: b${pad}`),
  },
  // What only `yaml` reads, over 1 MiB: refused too_complex where the block reader stopped (WHOLE_READ_MAX_BYTES);
  // a file of this kind up to 1 MiB is read by `yaml` whole.
  {
    name: `${Math.floor(LINES / 3)} values each a !!set (a tag on a collection)`,
    text: () =>
      `${HEADER}bomb:\n${Array.from({ length: Math.floor(LINES / 3) }, (_, i) => `  k${i}: !!set\n    ? a${i}`).join("\n")}\n`,
  },
  {
    name: `one mapping, ${LINES} keys, every value with a %TAG handle (!e!x)`,
    text: () =>
      `%TAG !e! tag:example.com,2000:\n---\n${oneMapping(LINES, 23, false).replace(/: (\d+)$/gm, ": !e!x $1")}`,
  },
  {
    name: `${Math.floor(LINES / 3)} records merging an anchor (<<: *b) in a %YAML 1.1 document`,
    text: () =>
      `%YAML 1.1\n---\n${HEADER}base: &b {x: 1}\nbomb:\n${Array.from({ length: Math.floor(LINES / 3) }, (_, i) => `  - <<: *b\n    y: ${i}`).join("\n")}\n`,
  },
  {
    name: `${Math.floor(LINES / 2)} pairs, each followed by --- (a document each)`,
    text: () =>
      `${HEADER}bomb:\n${Array.from({ length: Math.floor(LINES / 2) }, (_, i) => `  k${i}: v\n---`).join("\n")}\n`,
  },
  {
    name: `${Math.floor(LINES / 2)} explicit keys, each followed by a broken line (\`? k\` then \`! v\`)`,
    text: () =>
      `${HEADER}bomb:\n${Array.from({ length: Math.floor(LINES / 2) }, (_, i) => `  ? k${i}\n  ! v`).join("\n")}\n`,
  },
  // The slowest of those for `yaml`, at the whole-read cap: read whole.
  {
    name: `values each a !!omap, up to the whole-read cap (${WHOLE_READ_MAX_BYTES / 1024} KiB, read by yaml)`,
    text: () => fitted(WHOLE_READ_MAX_BYTES, `${HEADER}bomb:\n`, (i) => `  k${i}: !!omap\n    - a: ${i}`),
  },
  {
    name: `records merging an anchor in a %YAML 1.1 document, up to the whole-read cap (read by yaml)`,
    text: () =>
      fitted(
        WHOLE_READ_MAX_BYTES,
        `%YAML 1.1\n---\n${HEADER}base: &b {x: 1}\nbomb:\n`,
        (i) => `  - <<: *b\n    y: ${i}`,
      ),
  },
  // Every user's plan with a `!!str` tag: the block reader reads that tag itself.
  {
    name: "the same organization, every user's plan tagged !!str",
    text: () =>
      orgYaml(generateOrg(30_000), { login: "owner", email: "owner@console.test" }, "bench").replaceAll(
        "\n    plan: ",
        "\n    plan: !!str ",
      ),
  },
  // Its users are records of several lines: yaml-window-records.ts removes the middle ones, `yaml` reads the
  // rest.
  {
    name: "the same organization, a syntax error in its last line",
    text: () =>
      `${orgYaml(generateOrg(30_000), { login: "owner", email: "owner@console.test" }, "bench")}    role: [member\n`,
    reference: true,
  },
];

export interface WithinCapsResult {
  name: string;
  bytes: number;
  exit: number;
  wall_ms: number;
  /** CPU time of the whole process (all threads): less sensitive than wall time to a busy machine. */
  cpu_ms: number;
  /** CPU of `yaml` alone on the whole text (readWithYaml, in the bench's process), where a case asks for it. */
  yaml_ms: number | null;
  met: boolean;
}

/** Preloaded into the CLI: prints its CPU time on exit, so that the bench can read it from stderr. */
const CPU_PROBE =
  "data:text/javascript,import{writeSync}from'node:fs';process.on('exit',()=>{const u=process.cpuUsage();" +
  "writeSync(2,'\\nbench_cpu_ms='+Math.round((u.user+u.system)/1000)+'\\n')})";

/**
 * CPU milliseconds `yaml` takes to read the whole text (the reference reader, refusal or not), in this
 * process: CPU rather than wall time, which a loaded machine stretches.
 */
function timeYaml(text: string): number {
  const started = process.cpuUsage();
  try {
    readWithYaml(text, "org.yaml");
  } catch {
    // a refusal: what was timed
  }
  const used = process.cpuUsage(started);
  return Math.round((used.user + used.system) / 1000);
}

/** Runs `orgctl validate` on each case (the built CLI, start-up included). */
export function runWithinCaps(cli: string): WithinCapsResult[] {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-bench-caps-"));
  const results: WithinCapsResult[] = [];
  try {
    for (const c of WITHIN_CAPS_CASES) {
      const text = c.text();
      const bytes = Buffer.byteLength(text);
      if (bytes > MAX_CONFIG_BYTES) throw new Error(`${c.name}: ${bytes} bytes is over the cap`);
      const file = join(dir, "org.yaml");
      writeFileSync(file, text);
      const started = performance.now();
      let exit = 0;
      let stderr = "";
      try {
        execFileSync(process.execPath, [`--import=${CPU_PROBE}`, cli, "validate", "-f", file], {
          stdio: "pipe",
        });
      } catch (error) {
        exit = (error as { status?: number }).status ?? 1;
        stderr = String((error as { stderr?: Buffer }).stderr ?? "");
        if (/internal|heap out of memory/.test(stderr)) throw new Error(`${c.name}: ${stderr.slice(0, 500)}`);
      }
      const wallMs = Math.round(performance.now() - started);
      const cpuMs = Number(/bench_cpu_ms=(\d+)/.exec(stderr)?.[1] ?? Number.NaN);
      const yamlMs = c.reference ? timeYaml(text) : null;
      results.push({
        name: c.name,
        bytes,
        exit,
        wall_ms: wallMs,
        cpu_ms: cpuMs,
        yaml_ms: yamlMs,
        met: wallMs < WITHIN_CAPS_TARGET_MS,
      });
      process.stderr.write(
        `bench: within caps: ${c.name}: ${bytes} bytes, exit ${exit}, ${wallMs} ms wall, ${cpuMs} ms CPU` +
          `${yamlMs === null ? "" : `; yaml alone on the whole file: ${yamlMs} ms CPU`}\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1]?.endsWith("within-caps.js")) {
  runWithinCaps(join(import.meta.dirname, "..", "..", "..", "dist", "cmd", "orgctl.js"));
}
