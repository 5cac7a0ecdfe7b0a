/**
 * Start-up: `orgctl --version`, `orgctl validate` of a small file and `orgctl plan` of
 * examples/small-business against the embedded sandbox, each paired with `node -e ''` (Node's own start-up)
 * in the same run. Targets: ≤ 1.3×, ≤ 2.0× and ≤ 4.0×.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Command, checked, median, paired, ratioStats } from "./paired.js";
import { round, type Section, target } from "./report.js";

const NODE_BASELINE: Command = { argv: [process.execPath, "-e", ""] };

interface StartupCase {
  name: string;
  command: Command;
  goal: number;
  okCodes?: number[];
}

export function startupSection(root: string, cli: string, runs: number): Section {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-bench-startup-"));
  try {
    const family = join(dir, "family");
    const business = join(dir, "small-business");
    cpSync(join(root, "examples", "family"), family, { recursive: true });
    cpSync(join(root, "examples", "small-business"), business, { recursive: true });
    rmSync(join(business, ".orgctl"), { recursive: true, force: true });
    const cases: StartupCase[] = [
      { name: "version", command: { argv: [process.execPath, cli, "--version"] }, goal: 1.3 },
      {
        name: "validate_small",
        command: { argv: [process.execPath, cli, "validate", "-f", join(family, "org.yaml")] },
        goal: 2.0,
      },
      {
        // The sandbox is created by the warm-up run; the counted runs plan against it, as a user's second
        // and later plans do.
        name: "plan_small_business_sandbox",
        command: {
          argv: [
            process.execPath,
            cli,
            "plan",
            "-f",
            join(business, "org.yaml"),
            "--sandbox",
            join(business, ".orgctl", "sandbox.db"),
          ],
          env: { ACME_TOM_PASSWORD: "bench-password-Long-enough-42" },
          cwd: business,
        },
        goal: 4.0,
      },
    ];
    const results = cases.map((c) => {
      const runsOf = paired(c.command, NODE_BASELINE, runs, 1, (run, which) =>
        checked(run, which === "a" ? `orgctl ${c.name}` : "node -e ''", c.okCodes),
      );
      const walls = runsOf.a.map((r) => r.wallMs);
      const node = runsOf.b.map((r) => r.wallMs);
      const ratio = ratioStats(walls, node);
      process.stderr.write(`bench: start-up ${c.name}: ${round(ratio.median, 2)}× node -e ''\n`);
      return {
        name: c.name,
        goal: c.goal,
        wall_ms: round(median(walls)),
        node_ms: round(median(node)),
        ratio: round(ratio.median, 2),
        ratio_min: round(ratio.min, 2),
        ratio_max: round(ratio.max, 2),
      };
    });
    return {
      name: "startup",
      data: { runs, cases: results },
      targets: results.map((r) =>
        target(`startup_${r.name}_over_node`, r.ratio, "<=", r.goal, "median of paired ratios to node -e ''"),
      ),
      markdown: [
        `Start-up (whole process, medians of ${runs} runs paired with \`node -e ''\`):`,
        "",
        "| command | wall (ms) | node -e '' (ms) | ratio (min–max) | goal |",
        "|---|---:|---:|---:|---:|",
        ...results.map(
          (r) =>
            `| ${r.name} | ${r.wall_ms} | ${r.node_ms} | ${r.ratio}× (${r.ratio_min}–${r.ratio_max}) | ≤ ${r.goal}× |`,
        ),
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
