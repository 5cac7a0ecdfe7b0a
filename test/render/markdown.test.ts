import { describe, expect, it } from "vitest";
import type { PlanIssue } from "../../src/plan/model.js";
import { escapeMarkdown, renderMarkdown } from "../../src/render/markdown.js";
import { buildPlan, SAMPLE_ERROR, samplePlan, step } from "./builder.js";

const lines = (text: string) => text.trimEnd().split("\n");
const tableRows = (text: string) => lines(text).filter((l) => /^\| \d+ \|/.test(l));

/** A plan of `n` user creations, each with a patch and a charge: far more than a comment can hold. */
function bigPlan(n: number, errors: PlanIssue[] = []) {
  return buildPlan({
    balance: n * 3000,
    steps: Array.from({ length: n }, (_, i) =>
      step({
        id: `user/user${i}:change_plan`,
        kind: "user",
        action: "change_plan",
        symbol: "~",
        summary: `change plan of user${i}: entry → pro`,
        patch: [{ op: "replace", path: "/plan", value: "pro" }],
        amount_cents: -3000,
      }),
    ),
    errors,
    warnings: Array.from({ length: 200 }, (_, i) => ({ code: "w", message: `warning number ${i}` })),
  });
}

describe("renderMarkdown", () => {
  it("starts with the hidden marker, then the cost headline", () => {
    const out = lines(renderMarkdown(samplePlan()));
    expect(out[0]).toBe("<!-- orgctl-plan -->");
    expect(out[1]).toBe(
      "### orgctl plan: 4 to create, 2 to update, 1 to delete, 1 to replace · Wallet €120.00 → €17.33",
    );
    expect(out[3]).toBe(
      "Charges €120.00 · refunds €17.33 · lowest balance €17.33 · 2 steps blocked · 1 warning",
    );
  });

  it("names the console under the money line and in the footer", () => {
    const out = lines(renderMarkdown(samplePlan()));
    expect(out[5]).toBe("Console: `https://console.acme.example`");
    expect(out.at(-1)).toContain("console https://console.acme.example");
  });

  it("marks a failed plan in the money line and lists its errors before the changes", () => {
    const out = renderMarkdown(samplePlan({ errors: [SAMPLE_ERROR], money: { shortfall_cents: 1050 } }));
    expect(lines(out)[3]).toMatch(
      /^❌ \*\*1 error: nothing will be applied\*\* · .* · \*\*shortfall €10\.50\*\*/,
    );
    const error =
      "- **self\\_action** org.yaml changes the role of alice, the acting user (org\\_admin → member) — fix: keep role " +
      "org\\_admin for alice, or run with another org\\_admin's token (`org.yaml:12:7`)";
    expect(lines(out)).toContain(error);
    expect(out.indexOf(error)).toBeLessThan(out.indexOf("| # |"));
    expect(lines(out).at(-3)).toBe("Plan failed: 1 error(s); nothing will be applied.");
    expect(lines(out).at(-5)).toMatch(/^Plan: 4 to create, /);
  });

  it("lists blocked steps with the TXT record to publish", () => {
    const out = renderMarkdown(samplePlan());
    expect(out).toContain(
      "- **new.example**: publish TXT `_orgctl-verification.new.example` with value `orgctl-verification=tok123`.",
    );
    expect(out).toContain("  - add alias eve@later.example to eve");
  });

  it("has a table of every change, in run order", () => {
    const out = renderMarkdown(samplePlan());
    expect(out).toContain("| # | | Change | Wallet |");
    const rows = tableRows(out);
    expect(rows.map((r) => Number(r.split(" ")[1]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rows[2]).toBe(
      "| 3 | `-` | delete user carol &lt;carol@acme.test&gt; (pro) ⚠️ **destructive** | refund €12.33 |",
    );
    expect(rows[4]).toContain("(password from env DAVE\\_PASSWORD) | charge €90.00 |");
  });

  it("escapes pipes, backticks and HTML in the table", () => {
    const out = renderMarkdown(samplePlan());
    const rename = tableRows(out).find((r) => r.startsWith("| 7 |"))!;
    expect(rename).toBe('| 7 | `~` | rename the organization "Acme" → "Acme \\| Inc" | — |');
    // Five cell borders, four cells: the escaped pipe does not split the cell.
    expect(rename.replaceAll("\\|", "").split("|")).toHaveLength(6);
    const hostile = buildPlan({
      steps: [
        step({
          id: "group/x:create_group",
          kind: "group",
          action: "create_group",
          symbol: "+",
          summary: "create group `x` <img src=x onerror=alert(1)>\nnext | line",
        }),
      ],
    });
    const row = tableRows(renderMarkdown(hostile))[0]!;
    expect(row).toBe(
      "| 1 | `+` | create group \\`x\\` &lt;img src=x onerror=alert(1)&gt; next \\| line | — |",
    );
    expect(escapeMarkdown("a*b_c[d]")).toBe("a\\*b\\_c\\[d\\]");
  });

  it("puts patches, renewals and warnings in collapsed details", () => {
    const out = renderMarkdown(samplePlan());
    expect(out).toContain("<details><summary>Field changes (2 steps)</summary>");
    expect(out).toContain("#6 change plan of bob: entry → pro\n    ~ /plan: entry → pro");
    expect(out).toContain("<details><summary>Renewals due in the next 30 days (1)</summary>");
    expect(out).toContain("| bob | pro | 2026-03-10 | €90.00 |");
    expect(out).toContain("<details><summary>Warnings (1)</summary>");
    expect(out).not.toContain("more changes");
  });

  it("ends with the summary line; no changes says so", () => {
    expect(lines(renderMarkdown(samplePlan())).at(-3)).toBe(
      "Plan: 4 to create, 2 to update, 1 to delete, 1 to replace. Wallet: €120.00 → €17.33 (charges €120.00, refunds €17.33).",
    );
    const none = lines(renderMarkdown(buildPlan()));
    expect(none[1]).toBe("### orgctl plan: no changes · Wallet €120.00 → €120.00");
    expect(none).toContain(
      "No changes. The console matches org.yaml. Wallet: €120.00 → €120.00 (charges €0.00, refunds €0.00).",
    );
    expect(none).not.toContain("| # | | Change | Wallet |");
  });

  it("stays under 60,000 characters for 5,000 steps, keeping headline, errors and summary", () => {
    const errors = [
      SAMPLE_ERROR,
      {
        code: "insufficient_funds",
        message: "wallet short by €10.00 at step 4999",
        fix: "top up at least €10.00",
      },
    ];
    const plan = bigPlan(5000, errors);
    const out = renderMarkdown(plan);
    expect(out.length).toBeLessThanOrEqual(60_000);
    const all = lines(out);
    expect(all[0]).toBe("<!-- orgctl-plan -->");
    expect(all[1]).toBe(
      "### orgctl plan: 0 to create, 5000 to update, 0 to delete · Wallet €150,000.00 → €0.00",
    );
    expect(all[3]).toMatch(/^❌ \*\*2 errors: nothing will be applied\*\*/);
    expect(out).toContain("- **self\\_action**");
    expect(out).toContain(
      "- **insufficient\\_funds** wallet short by €10.00 at step 4999 — fix: top up at least €10.00",
    );
    expect(all.at(-5)).toBe(
      "Plan: 0 to create, 5000 to update, 0 to delete, 0 to replace. Wallet: €150,000.00 → €0.00 (charges €150,000.00, refunds €0.00).",
    );
    const shown = tableRows(out).length;
    expect(shown).toBeGreaterThan(100);
    expect(shown).toBeLessThan(5000);
    expect(all).toContain(`… and ${5000 - shown} more changes (see the full plan in the job log)`);
    // The rows shown are the first ones, in run order.
    expect(tableRows(out).map((r) => Number(r.split(" ")[1]))).toEqual(
      Array.from({ length: shown }, (_, i) => i + 1),
    );
  });

  it("honours a smaller maxChars, cutting the table before the errors", () => {
    const plan = bigPlan(300, [SAMPLE_ERROR]);
    const out = renderMarkdown(plan, { maxChars: 4000 });
    expect(out.length).toBeLessThanOrEqual(4000);
    expect(out).toContain("- **self\\_action**");
    expect(out).toMatch(/… and \d+ more changes \(see the full plan in the job log\)/);
    expect(renderMarkdown(plan, { maxChars: 1_000_000 })).not.toContain("more changes");
  });

  it("says how many changes it left out even when no row fits", () => {
    const plan = bigPlan(50, [SAMPLE_ERROR]);
    const error = lines(renderMarkdown(plan)).find((l) => l.startsWith("- **self\\_action**"))!;
    // The smallest comment that still holds the whole error has no room for a row.
    let size = renderMarkdown(plan, { maxChars: 0 }).length;
    while (size < 5_000 && !renderMarkdown(plan, { maxChars: size }).includes(error)) size += 1;
    const out = renderMarkdown(plan, { maxChars: size });
    expect(out.length).toBeLessThanOrEqual(size);
    expect(tableRows(out)).toHaveLength(0);
    expect(out).toContain("… and 50 more changes (see the full plan in the job log)");
    // Even with no room at all, the comment says changes were left out.
    expect(renderMarkdown(plan, { maxChars: 0 })).toContain("… and 50 more changes");
  });

  it("never exceeds maxChars once the parts that always stay fit", () => {
    const plan = { ...bigPlan(400, [SAMPLE_ERROR]), blocked: samplePlan().blocked };
    const floor = renderMarkdown(plan, { maxChars: 0 }).length;
    for (let size = floor; size < 30_000; size += 97) {
      expect(renderMarkdown(plan, { maxChars: size }).length).toBeLessThanOrEqual(size);
    }
  });
});
