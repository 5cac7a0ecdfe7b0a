/**
 * The question before `orgctl apply` changes anything, Terraform style: the cost headline, then
 * `Apply these N changes to <org>? Only "yes" is accepted: ` and a line of input. Only the exact word `yes`
 * followed by Enter approves; anything else, Escape, Ctrl-C or Ctrl-D is a no. Loaded only on a TTY.
 */
import { Box, type Key, render, Text, useInput } from "ink";
import { useCallback, useRef, useState } from "react";
import { formatEuro } from "../../domain/money.js";
import type { Plan } from "../../plan/model.js";
import { clean } from "../text.js";

/** `Apply these 3 changes to Acme? Only "yes" is accepted: ` */
export function confirmQuestion(plan: Plan): string {
  const n = plan.steps.length;
  const what = n === 1 ? "this 1 change" : `these ${n} changes`;
  return `Apply ${what} to ${clean(plan.console.org)}? Only "yes" is accepted: `;
}

/** `Lowest balance during apply: €17.33 · 1 renewal due in the next 30 days` */
export function costDetailLine(plan: Plan): string {
  const m = plan.money;
  const due = m.renewals_due.length;
  return (
    `Lowest balance during apply: ${formatEuro(m.lowest_balance_cents)} · ` +
    `${due} renewal${due === 1 ? "" : "s"} due in the next ${m.renewals_horizon_days} days`
  );
}

/** Printable characters only: pasted text must not carry escapes into the answer or the screen. */
function printable(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code <= 0x9f)) out += ch;
  }
  return out;
}

export interface ConfirmApplyProps {
  plan: Plan;
  /** Called once, with true only for the exact answer `yes`. */
  onAnswer: (yes: boolean) => void;
}

export function ConfirmApply({ plan, onAnswer }: ConfirmApplyProps) {
  const [value, setValue] = useState("");
  const [answered, setAnswered] = useState<boolean | null>(null);
  // Refs, not state, decide: several keys can arrive before React re-renders and re-subscribes the handler.
  const valueRef = useRef("");
  const answeredRef = useRef(false);

  const answer = useCallback(
    (yes: boolean) => {
      if (answeredRef.current) return;
      answeredRef.current = true;
      setAnswered(yes);
      onAnswer(yes);
    },
    [onAnswer],
  );

  const type = useCallback((next: string) => {
    valueRef.current = next;
    setValue(next);
  }, []);

  const handle = useCallback(
    (input: string, key: Key) => {
      if (answeredRef.current) return;
      if (key.escape || (key.ctrl && (input === "c" || input === "d"))) return answer(false);
      if (key.return) return answer(valueRef.current === "yes");
      if (key.backspace || key.delete) return type(valueRef.current.slice(0, -1));
      if (key.ctrl || key.meta || key.tab) return;
      // A paste arrives whole: `yes\r` types `yes` and submits.
      const newline = input.search(/[\r\n]/);
      if (newline === -1) return type(valueRef.current + printable(input));
      type(valueRef.current + printable(input.slice(0, newline)));
      answer(valueRef.current === "yes");
    },
    [answer, type],
  );

  useInput(handle, { isActive: answered === null });

  return (
    <Box flexDirection="column">
      {/* The plan printed just above ends with its summary line: the prompt does not repeat it. */}
      <Text>{costDetailLine(plan)}</Text>
      <Box marginTop={1}>
        <Text>
          <Text bold>{confirmQuestion(plan)}</Text>
          {value}
          {answered === null ? <Text inverse> </Text> : ""}
        </Text>
      </Box>
    </Box>
  );
}

export interface ConfirmOptions {
  /** Default process.stdin; tests pass a fake TTY stream. */
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

/**
 * Asks on the terminal whether to apply the plan; resolves true only for `yes` + Enter, and once ink has
 * unmounted and given the terminal back (raw mode off). Needs a TTY on stdin.
 */
export async function confirmApply(plan: Plan, options: ConfirmOptions = {}): Promise<boolean> {
  const stdin = options.stdin ?? process.stdin;
  if (!stdin.isTTY) throw new Error("confirmApply needs a terminal on stdin; use --auto-approve");
  let resolveAnswer!: (yes: boolean) => void;
  const answered = new Promise<boolean>((resolve) => {
    resolveAnswer = resolve;
  });
  const instance = render(<ConfirmApply plan={plan} onAnswer={(yes) => resolveAnswer(yes)} />, {
    stdin,
    stdout: options.stdout ?? process.stdout,
    stderr: options.stderr ?? process.stderr,
    // Ctrl-C is a "no" here, handled by the component, not an exit.
    exitOnCtrlC: false,
    patchConsole: false,
  });
  try {
    const yes = await answered;
    // Let ink draw the answered prompt (without the cursor) before it unmounts.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return yes;
  } finally {
    instance.unmount();
    await instance.waitUntilExit();
  }
}
