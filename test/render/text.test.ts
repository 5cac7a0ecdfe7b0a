import { describe, expect, it } from "vitest";
import { renderText } from "../../src/render/text.js";
import { buildPlan, SAMPLE_ERROR, samplePlan, step } from "./builder.js";

const ESC = "\u001b";
const lines = (text: string) => text.trimEnd().split("\n");
const plain = (plan = samplePlan()) => renderText(plan, { color: false });

describe("renderText", () => {
  it("ends with the exact summary line", () => {
    const out = plain();
    expect(out.endsWith("\n")).toBe(true);
    expect(lines(out).at(-1)).toBe(
      "Plan: 4 to create, 2 to update, 1 to delete, 1 to replace. Wallet: €120.00 → €17.33 (charges €120.00, refunds €17.33).",
    );
  });

  it("starts with a header naming the org, the console revision and the acting user", () => {
    const first = lines(plain())[0]!;
    expect(first).toContain("Acme");
    expect(first).toContain("revision 42");
    expect(first).toContain("alice (org_admin)");
  });

  it("names the console on its second line", () => {
    expect(lines(plain())[1]).toBe("console: https://console.acme.example");
  });

  it("groups steps by kind (org, domains, groups, users, aliases, memberships), each in run order", () => {
    const plan = samplePlan();
    // The renderer orders by step.index, not by the position in the array.
    const out = plain({ ...plan, steps: [...plan.steps].reverse() });
    const titles = lines(out).filter((l) => /^[A-Z][a-z]+:$/.test(l));
    expect(titles.slice(0, 6)).toEqual([
      "Organization:",
      "Domains:",
      "Groups:",
      "Users:",
      "Aliases:",
      "Memberships:",
    ]);
    const numbers = lines(out)
      .filter((l) => /^ {2}\S.* · #\d+$/.test(l))
      .map((l) => Number(l.slice(l.lastIndexOf("#") + 1)));
    // org (#7) first, then domain #1, group #2, users #3-#6, alias #9, membership #8.
    expect(numbers).toEqual([7, 1, 2, 3, 4, 5, 6, 9, 8]);
  });

  it("shows symbol, summary, money movement, destructive flag and step number on one line", () => {
    const out = lines(plain());
    expect(out).toContain("  - delete user carol <carol@acme.test> (pro) [destructive] · refund €12.33 · #3");
    expect(out).toContain(
      "  -/+ create user dave <dave@acme.test> on pro as member with password · charge €90.00 · #5",
    );
    expect(out).toContain("  + create group eng · #2");
  });

  it("lists the patch of an update, live → desired", () => {
    const out = lines(plain());
    const at = out.indexOf("  ~ change plan of bob: entry → pro · charge €30.00 · #6");
    expect(at).toBeGreaterThan(0);
    expect(out[at + 1]).toBe("      ~ /plan: entry → pro");
    expect(out).toContain('      ~ /name: Acme → "Acme | Inc"');
  });

  it("shows live → desired for every changed field, and what a removal removes", () => {
    const plan = buildPlan({
      steps: [
        step({
          id: "user/bob:update_user",
          kind: "user",
          action: "update_user",
          symbol: "~",
          summary: "update user bob: first_name, profile.title",
          patch: [
            { op: "replace", path: "/first_name", value: "Robert" },
            { op: "add", path: "/profile/title", value: "Head of Ops" },
            { op: "remove", path: "/profile/phone" },
          ],
          changes: [
            { path: "/first_name", from: "Bob", to: "Robert" },
            { path: "/profile/title", from: null, to: "Head of Ops" },
            { path: "/profile/phone", from: "+33 6 00 00 00 00", to: null },
          ],
        }),
      ],
    });
    const out = lines(plain(plan));
    expect(out).toContain("      ~ /first_name: Bob → Robert");
    expect(out).toContain('      + /profile/title: "Head of Ops"');
    expect(out).toContain('      - /profile/phone (was "+33 6 00 00 00 00")');
  });

  it("has no ANSI codes without colour, and coloured symbols with it", () => {
    expect(plain()).not.toContain(ESC);
    const out = renderText(samplePlan(), { color: true });
    expect(out).toContain(`${ESC}[32m+${ESC}[0m create group eng`);
    expect(out).toContain(`${ESC}[33m~${ESC}[0m change plan of bob`);
    expect(out).toContain(`${ESC}[31m-${ESC}[0m delete user carol`);
    expect(out).toContain(`${ESC}[31m-${ESC}[0m/${ESC}[32m+${ESC}[0m create user dave`);
  });

  it("never passes control characters from the plan to the terminal", () => {
    const plan = buildPlan({
      steps: [
        step({
          id: "group/x:create_group",
          kind: "group",
          action: "create_group",
          symbol: "+",
          summary: `create group ${ESC}[2Jx\ny`,
        }),
      ],
    });
    const out = plain(plan);
    expect(out).not.toContain(ESC);
    expect(out).toContain("create group \\u001b[2Jx\\u000ay");
  });

  it("prints a secret as its reference only", () => {
    process.env.DAVE_PASSWORD = "hunter2-do-not-print";
    try {
      const out = plain();
      expect(out).not.toContain("hunter2");
      const mentions = lines(out).filter((l) => l.includes("DAVE_PASSWORD"));
      expect(mentions).toEqual(["      password from env DAVE_PASSWORD"]);
      // The request body (rotation label included) is not part of the text output.
      expect(out).not.toContain("2026-q1");
    } finally {
      delete process.env.DAVE_PASSWORD;
    }
    const fromFile = buildPlan({
      steps: [
        step({
          id: "user/bob:set_password",
          kind: "user",
          action: "set_password",
          symbol: "~",
          summary: "set password of bob",
          secret: { file: "/run/secrets/bob", rotation: null },
        }),
      ],
    });
    expect(lines(plain(fromFile))).toContain("      password from file /run/secrets/bob");
  });

  it("shows blocked steps with the TXT record to publish, or says when it will be known", () => {
    const out = plain();
    expect(out).toContain("Blocked (2 step(s) wait for domain verification):");
    expect(out).toContain('publish TXT _orgctl-verification.new.example "orgctl-verification=tok123"');
    expect(out).toContain("the TXT record to publish is shown once later.example exists");
    expect(out).toContain("· add alias eve@later.example to eve");
  });

  it("shows warnings and errors with code, message, fix and source; a failed plan says so last", () => {
    const out = lines(plain(samplePlan({ errors: [SAMPLE_ERROR] })));
    const errors = out.indexOf("Errors:");
    expect(errors).toBeGreaterThan(out.indexOf("Warnings:"));
    expect(out.slice(errors + 1, errors + 3)).toEqual([
      "  org.yaml:12:7 self_action: org.yaml changes the role of alice, the acting user (org_admin → member)",
      "      fix: keep role org_admin for alice, or run with another org_admin's token",
    ]);
    expect(out).toContain("  org.yaml:3:5 unknown_profile_field: profile field nickname is ignored");
    expect(out.at(-1)).toBe("Plan failed: 1 error(s); nothing will be applied.");
    expect(out.at(-2)).toMatch(/^Plan: 4 to create, /);
  });

  it("leaves out empty sections", () => {
    const out = plain(buildPlan());
    for (const title of ["Blocked", "Warnings:", "Errors:", "Users:"]) expect(out).not.toContain(title);
  });

  it("shows the money section, with renewals due", () => {
    const out = plain(samplePlan({ money: { min_balance_cents: 1000, shortfall_cents: 250 } }));
    const money = out.slice(out.indexOf("Money"), out.lastIndexOf("\n\n"));
    expect(money).toMatchInlineSnapshot(`
      "Money (EUR, prices as of 2026-03-01):
        Balance:         €120.00 → €17.33
        Charges:         €120.00
        Refunds:         €17.33
        Lowest balance:  €17.33 during apply
        Policy minimum:  €10.00
        Yearly cost:     €270.00 → €360.00
        Renewals due in the next 30 days: none
        Shortfall:       €2.50 (top up at least this much)"
    `);
    expect(plain()).toContain("    bob  pro  2026-03-10  €90.00");
    expect(plain()).not.toContain("Policy minimum");
    expect(plain()).not.toContain("Shortfall");
  });

  it("says there are no changes when there are none", () => {
    const out = lines(plain(buildPlan({ balance: 123_450 })));
    expect(out.at(-1)).toBe(
      "No changes. The console matches org.yaml. Wallet: €1,234.50 → €1,234.50 (charges €0.00, refunds €0.00).",
    );
  });

  it("does not claim no changes when steps failed", () => {
    const out = lines(plain(buildPlan({ errors: [SAMPLE_ERROR] })));
    expect(out.at(-2)).toMatch(/^Plan: 0 to create, 0 to update, 0 to delete, 0 to replace\. Wallet: /);
    expect(out.at(-1)).toBe("Plan failed: 1 error(s); nothing will be applied.");
  });
});
