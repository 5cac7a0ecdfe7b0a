import { render } from "ink-testing-library";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfirmApply, confirmApply } from "../../../src/render/ink/confirm.js";
import { summaryLine } from "../../../src/render/text.js";
import { buildPlan, samplePlan, step } from "../builder.js";
import { plain, streams, tick, waitFor } from "./fake-tty.js";

const plan = samplePlan();
const flat = (text: string) => text.replace(/\s+/g, " ").trim();
const mounted: { unmount: () => void }[] = [];
afterEach(() => {
  for (const m of mounted.splice(0)) m.unmount();
});

/** Mounts the prompt and waits until it listens to keys. */
async function ask(p = plan) {
  const onAnswer = vi.fn<(yes: boolean) => void>();
  const app = render(<ConfirmApply plan={p} onAnswer={onAnswer} />);
  mounted.push(app);
  await tick();
  const type = async (...chunks: string[]) => {
    for (const chunk of chunks) {
      app.stdin.write(chunk);
      await tick();
    }
  };
  return { app, onAnswer, type, frame: () => plain(app.lastFrame()) };
}

describe("ConfirmApply", () => {
  it("shows the lowest balance, the renewals due and the question, not the summary line again", async () => {
    const { frame } = await ask();
    // ink wraps at the terminal width (100 columns here): compare the text with lines joined.
    const text = flat(frame());
    // The plan printed above the prompt ends with the summary line; the prompt does not say it twice.
    expect(text).not.toContain(summaryLine(plan));
    expect(text.startsWith("Lowest balance during apply: €17.33 · 1 renewal due")).toBe(true);
    expect(text).toContain("1 renewal due in the next 30 days Apply these 9 changes to Acme?");
    expect(text).toContain('Apply these 9 changes to Acme? Only "yes" is accepted:');
  });

  it("says `this 1 change` for one step and counts renewals in the plural", async () => {
    const one = buildPlan({
      steps: [
        step({
          id: "group/a:create_group",
          kind: "group",
          action: "create_group",
          symbol: "+",
          summary: "x",
        }),
      ],
      money: {
        renewals_due: [
          { login: "a", plan: "pro", due: "2026-03-02", amount_cents: 1, unpaid: false },
          { login: "b", plan: "pro", due: "2026-03-03", amount_cents: 1, unpaid: true },
        ],
      },
    });
    const { frame } = await ask(one);
    expect(frame()).toContain('Apply this 1 change to Acme? Only "yes" is accepted:');
    expect(frame()).toContain("2 renewals due in the next 30 days");
  });

  it("approves `yes` + Enter, once", async () => {
    const { onAnswer, type, frame } = await ask();
    await type("y", "e", "s");
    // ink draws at most once per frame interval: wait for the frame that shows the last key.
    await waitFor(() => expect(frame()).toContain("accepted: yes"));
    expect(onAnswer).not.toHaveBeenCalled();
    await type("\r", "\r");
    expect(onAnswer.mock.calls).toEqual([[true]]);
  });

  it("approves a pasted `yes\\r` and `yes` typed after a correction", async () => {
    const pasted = await ask();
    await pasted.type("yes\r");
    expect(pasted.onAnswer.mock.calls).toEqual([[true]]);

    const corrected = await ask();
    await corrected.type("yex", "\u007f", "s", "\r");
    expect(corrected.onAnswer.mock.calls).toEqual([[true]]);
  });

  it.each([
    ["no", ["n", "o", "\r"]],
    ["an empty answer", ["\r"]],
    ["Yes", ["Yes", "\r"]],
    ["y", ["y", "\r"]],
    ["yes with a trailing space", ["yes ", "\r"]],
    ["yes, then Escape", ["yes", "\u001b"]],
    ["Escape", ["\u001b"]],
    ["Ctrl-C", ["\u0003"]],
    ["Ctrl-D", ["yes", "\u0004"]],
  ])("refuses %s", async (_name, keys) => {
    const { onAnswer, type } = await ask();
    await type(...keys);
    await tick();
    expect(onAnswer.mock.calls).toEqual([[false]]);
  });

  it("keeps control characters out of the answer", async () => {
    const { onAnswer, type, frame } = await ask();
    await type("y\u0007es", "\r");
    expect(frame()).not.toContain("\u0007");
    expect(onAnswer.mock.calls).toEqual([[true]]);
  });

  it("ignores keys after the answer", async () => {
    const { onAnswer, type } = await ask();
    await type("\u001b");
    await tick();
    await type("yes", "\r");
    expect(onAnswer.mock.calls).toEqual([[false]]);
  });
});

describe("confirmApply", () => {
  it("resolves true for `yes` + Enter, then gives the terminal back", async () => {
    const { stdin, stdout, options } = streams();
    const answer = confirmApply(plan, options);
    await waitFor(() => expect(stdin.listenerCount("readable")).toBe(1));
    stdin.type("yes");
    stdin.type("\r");
    await expect(answer).resolves.toBe(true);
    expect(stdin.listenerCount("readable")).toBe(0);
    expect(stdin.rawModes.at(-1)).toBe(false);
    expect(stdout.text()).toContain('Apply these 9 changes to Acme? Only "yes" is accepted: yes');
  });

  it("resolves false for `no` + Enter and for Escape", async () => {
    for (const keys of [["no", "\r"], ["\u001b"]]) {
      const { stdin, options } = streams();
      const answer = confirmApply(plan, options);
      await waitFor(() => expect(stdin.listenerCount("readable")).toBe(1));
      for (const k of keys) stdin.type(k);
      await expect(answer).resolves.toBe(false);
      expect(stdin.listenerCount("readable")).toBe(0);
    }
  });

  it("refuses to ask without a terminal", async () => {
    const { options } = streams();
    (options.stdin as { isTTY: boolean }).isTTY = false;
    await expect(confirmApply(plan, options)).rejects.toThrow(/terminal/);
  });
});
