import { describe, expect, it } from "vitest";
import {
  countsOf,
  type OrgOutcome,
  type OrgStatus,
  walletOf,
  ZERO_COUNTS,
} from "../../src/cli/fleet/outcome.js";
import {
  FLEET_MARKDOWN_MARKER,
  type FleetReport,
  renderFleetJson,
  renderFleetMarkdown,
  renderFleetText,
} from "../../src/render/fleet.js";
import { buildPlan, step } from "./builder.js";

/** A plan of `n` user creations (one destructive delete when asked), each charging €42. */
function planOf(n: number, deletes = 0) {
  const steps = [
    ...Array.from({ length: n }, (_, i) =>
      step({
        id: `user/u${i}:create_user`,
        key: `u${i}`,
        kind: "user",
        action: "create_user",
        symbol: "+",
        summary: `create user u${i} <u${i}@example.org> on entry`,
        amount_cents: -4200,
      }),
    ),
    ...Array.from({ length: deletes }, (_, i) =>
      step({
        id: `user/old${i}:delete_user`,
        key: `old${i}`,
        kind: "user",
        action: "delete_user",
        symbol: "-",
        destructive: true,
        summary: `delete user old${i}`,
      }),
    ),
  ];
  return buildPlan({ steps, balance: 1_000_000 });
}

function planned(org: string, n: number, deletes = 0): OrgOutcome {
  const plan = planOf(n, deletes);
  return {
    org,
    file: `orgs/${org}.yaml`,
    status: n + deletes > 0 ? "changes" : "in_sync",
    target: `https://console.example org ${org}`,
    errors: [],
    counts: countsOf(plan),
    wallet: walletOf(plan),
    plan,
  };
}

function broken(org: string, status: OrgStatus = "error"): OrgOutcome {
  return {
    org,
    file: `orgs/${org}.yaml`,
    status,
    target: null,
    errors: [{ code: "console_unreachable", message: `the console did not answer for ${org}` }],
    counts: { ...ZERO_COUNTS },
    wallet: null,
  };
}

function report(outcomes: OrgOutcome[], command: FleetReport["command"] = "plan"): FleetReport {
  return { command, outcomes, shard: null, exitCode: 0 };
}

describe("fleet Markdown", () => {
  it("stays under 60,000 characters for a fleet of 2,000 organizations, worst first, saying how many it leaves out", () => {
    const outcomes = [
      ...Array.from({ length: 1990 }, (_, i) => planned(`client-${String(i).padStart(4, "0")}`, 40)),
      planned("deleter", 2, 3),
      broken("down"),
      ...Array.from({ length: 8 }, (_, i) => planned(`quiet-${i}`, 0)),
    ];
    const md = renderFleetMarkdown(report(outcomes));
    expect(md.length).toBeLessThanOrEqual(60_000);
    expect(md.startsWith(FLEET_MARKDOWN_MARKER)).toBe(true);
    // The error first, then the destructive plan, before any of the bigger ones.
    const down = md.indexOf("`down`");
    const deleter = md.indexOf("`deleter`");
    expect(down).toBeGreaterThan(0);
    expect(deleter).toBeGreaterThan(down);
    expect(deleter).toBeLessThan(md.indexOf("`client-0000`"));
    const rows = md.split("\n").filter((line) => /^\| .* \| `/.test(line)).length;
    const left = Number(/_… (\d+) more organizations not shown/.exec(md)?.[1]);
    expect(rows + left).toBe(2000);
    expect(md).toContain("Fleet: 2000 organizations");
    expect(md).toMatch(/_Details of \d+ more organizations not shown/);
  });

  it("shows every organization and its details when they fit, without a 'not shown' line", () => {
    const md = renderFleetMarkdown(report([planned("a", 2), broken("b"), planned("c", 0)]));
    expect(md).not.toMatch(/not shown/);
    expect(md).toContain("<details><summary><code>a</code>: changes</summary>");
    expect(md).toContain("<details><summary><code>b</code>: error</summary>");
    expect(md).toContain("the console did not answer for b");
    expect(md).not.toContain("<code>c</code>");
    expect(md).toContain("Fleet: 3 organizations (1 error, 1 changes, 1 in sync)");
  });

  it("holds to a smaller budget too", () => {
    const outcomes = Array.from({ length: 50 }, (_, i) => planned(`o${i}`, 30));
    for (const budget of [2_000, 5_000, 20_000]) {
      const md = renderFleetMarkdown(report(outcomes), budget);
      expect(md.length).toBeLessThanOrEqual(budget);
      expect(md).toMatch(/more organizations? not shown/);
    }
  });

  it("escapes organization names and messages", () => {
    const bad = { ...broken("x"), errors: [{ code: "boom", message: "<script>|` pipe" }] };
    const md = renderFleetMarkdown(report([bad]));
    expect(md).not.toContain("<script>");
    expect(md).toContain("&lt;script&gt;");
  });
});

describe("fleet JSON", () => {
  it("is sorted by slug and the same whatever order the outcomes came in", () => {
    const outcomes = [planned("zeta", 1), broken("alpha"), planned("mid", 0)];
    const json = renderFleetJson(report(outcomes));
    expect(renderFleetJson(report([...outcomes].reverse()))).toBe(json);
    const parsed = JSON.parse(json);
    expect(parsed.orgs.map((o: { org: string }) => o.org)).toEqual(["alpha", "mid", "zeta"]);
    expect(Object.keys(parsed)).toEqual(["command", "shard", "exit_code", "totals", "orgs"]);
    expect(parsed.orgs[2].plan.format_version).toBe(2);
    expect(parsed.totals.by_status).toEqual({ changes: 1, error: 1, in_sync: 1 });
  });
});

describe("fleet text", () => {
  it("shows each organization with something to show under its slug, then one line each and the totals", () => {
    const text = renderFleetText(report([planned("quiet", 0), planned("busy", 2), broken("down")]), {
      color: false,
    });
    expect(text).toContain(
      "=== down (orgs/down.yaml) ===\norgctl: console_unreachable: the console did not answer for down",
    );
    expect(text).toContain("=== busy (orgs/busy.yaml) ===");
    expect(text).not.toContain("=== quiet");
    const table = text.slice(text.indexOf("Plan by organization:"));
    expect(table.indexOf("down")).toBeLessThan(table.indexOf("busy"));
    expect(table.indexOf("busy")).toBeLessThan(table.indexOf("quiet"));
    expect(text.trimEnd().split("\n").at(-1)).toBe(
      "Fleet: 3 organizations (1 error, 1 changes, 1 in sync). Steps planned: +2 ~0 -0 -/+0. Wallet: change -€84.00 (charges €84.00, refunds €0.00).",
    );
  });
});
