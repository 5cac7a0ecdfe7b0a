/**
 * The live view of `orgctl apply` on a terminal: the plan's headline, a progress bar, the wallet as it moves,
 * a window of step rows around the running ones (so 1,000 steps stay readable) and the final summary.
 * It only draws an `ApplyStatus`; `useApplyStatus` folds the apply events into one. Loaded only on a TTY.
 */
import { Box, render, Text } from "ink";
import { useEffect, useState, useSyncExternalStore } from "react";
import type { ApplyEvent } from "../../apply/events.js";
import { formatEuro } from "../../domain/money.js";
import type { Plan } from "../../plan/model.js";
import { clean, moneyMove } from "../text.js";
import {
  type ApplyStatus,
  type ApplyStatusStore,
  createApplyStore,
  emptyCounts,
  finishedCount,
  type StepCounts,
  type StepState,
  type StepStatus,
} from "./status.js";

/** Step rows shown at most; the rest are counted above and below them. */
export const MAX_STEP_ROWS = 15;
/** Finished steps kept in view above the first running one. */
const ROWS_BEFORE = 4;
/** Failures listed in the final summary; more are counted. */
export const MAX_FAILURES_SHOWN = 10;
const BAR_WIDTH = 24;

export const SPINNER_FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] as const;

/** `████████░░░░ 8/12`: finished (done, failed or skipped) steps over all steps. */
export function progressBar(finished: number, total: number, width = BAR_WIDTH): string {
  const filled = total === 0 ? width : Math.min(width, Math.round((finished / total) * width));
  return `${"█".repeat(filled)}${"░".repeat(width - filled)} ${finished}/${total}`;
}

export interface StepWindow {
  /** Counts of the steps above the rows, by state. */
  above: StepCounts;
  rows: readonly StepStatus[];
  /** Counts of the steps below the rows, by state. */
  below: StepCounts;
}

function countStates(steps: readonly StepStatus[]): StepCounts {
  const counts = emptyCounts();
  for (const s of steps) counts[s.state] += 1;
  return counts;
}

/**
 * At most `max` consecutive rows around the work: starting a few rows above the first running step (or the
 * next pending one), the tail once everything has finished; the steps outside are only counted.
 */
export function stepWindow(steps: readonly StepStatus[], max = MAX_STEP_ROWS): StepWindow {
  if (steps.length <= max) return { above: emptyCounts(), rows: steps, below: emptyCounts() };
  let anchor = steps.findIndex((s) => s.state === "running");
  if (anchor === -1) anchor = steps.findIndex((s) => s.state === "pending");
  if (anchor === -1) anchor = steps.length - 1;
  const start = Math.max(0, Math.min(anchor - ROWS_BEFORE, steps.length - max));
  return {
    above: countStates(steps.slice(0, start)),
    rows: steps.slice(start, start + max),
    below: countStates(steps.slice(start + max)),
  };
}

const STATE_ORDER: readonly StepState[] = ["done", "failed", "skipped", "running", "pending"];

/** `3 done, 1 failed, 12 pending` (states with no step left out). */
export function describeCounts(counts: StepCounts): string {
  return STATE_ORDER.filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(", ");
}

function useSpinner(active: boolean): string {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setFrame((f) => (f + 1) % SPINNER_FRAMES.length), 80);
    return () => clearInterval(timer);
  }, [active]);
  return SPINNER_FRAMES[frame]!;
}

function Marker({ state, spinner }: { state: StepState; spinner: string }) {
  switch (state) {
    case "pending":
      return <Text dimColor>·</Text>;
    case "running":
      return <Text color="cyan">{spinner}</Text>;
    case "done":
      return <Text color="green">✓</Text>;
    case "failed":
      return <Text color="red">✗</Text>;
    case "skipped":
      return <Text color="yellow">↷</Text>;
  }
}

function StepRow({ step, spinner, width }: { step: StepStatus; spinner: string; width: number }) {
  const move = moneyMove(step.amount_cents);
  let tail = "";
  if (step.state === "failed") tail = ` — ${clean(step.code ?? "failed")}`;
  else if (step.state === "skipped") tail = ` (skipped: needs ${clean(step.because ?? "an earlier step")})`;
  else if (step.state === "done" && step.replayed) tail = " (replayed)";
  // One Text, so that truncating a long row never eats the marker.
  return (
    <Text wrap="truncate-end" dimColor={step.state === "pending"}>
      {" "}
      <Marker state={step.state} spinner={spinner} />
      {` #${String(step.index).padStart(width)} ${clean(step.symbol)} ${clean(step.summary)}`}
      {move ? ` · ${move}` : ""}
      {step.state === "failed" ? <Text color="red">{tail}</Text> : tail}
    </Text>
  );
}

function HiddenCounts({ counts, where }: { counts: StepCounts; where: "earlier" | "later" }) {
  const n = STATE_ORDER.reduce((sum, s) => sum + counts[s], 0);
  if (n === 0) return null;
  return (
    <Text dimColor>
      {`   ${where === "earlier" ? "↑" : "↓"} ${n} ${where} step(s): ${describeCounts(counts)}`}
    </Text>
  );
}

function FinalSummary({ status }: { status: ApplyStatus }) {
  const s = status.summary;
  if (!s) return null;
  const colour = s.status === "done" ? "green" : s.status === "failed" ? "red" : "yellow";
  const notStarted = s.not_started > 0 ? `, ${s.not_started} not started` : "";
  const shown = s.failures.slice(0, MAX_FAILURES_SHOWN);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold color={colour}>
        {`Apply ${s.status}: ${s.done} done, ${s.failed} failed, ${s.skipped} skipped${notStarted} of ${s.total}.`}
      </Text>
      <Text>
        {`Wallet: ${formatEuro(s.balance_before_cents)} → ${formatEuro(s.balance_after_cents)} ` +
          `(charges ${formatEuro(s.charged_cents)}, refunds ${formatEuro(s.refunded_cents)}).`}
      </Text>
      {shown.length > 0 && <Text bold>Failures:</Text>}
      {shown.map((f) => (
        <Text key={f.id}>
          <Text color="red">{"  ✗ "}</Text>
          {`#${f.index} ${clean(f.summary)}: `}
          <Text color="red">{clean(f.code)}</Text>
          {`: ${clean(f.message)}`}
        </Text>
      ))}
      {s.failures.length > shown.length && (
        <Text dimColor>{`  … and ${s.failures.length - shown.length} more failure(s)`}</Text>
      )}
      {s.status !== "done" && (
        <Text dimColor>Run `orgctl plan` to see what is left, then `orgctl apply` again: it converges.</Text>
      )}
    </Box>
  );
}

export interface ApplyProgressProps {
  status: ApplyStatus;
  /** Step rows shown at most (default 15). */
  maxRows?: number;
}

/** Draws an apply status; holds no state of its own except the spinner frame. */
export function ApplyProgress({ status, maxRows = MAX_STEP_ROWS }: ApplyProgressProps) {
  const finished = status.phase === "finished";
  const spinner = useSpinner(status.counts.running > 0 && !finished);
  const finishedSteps = finishedCount(status);
  // Once finished, a long plan's rows give way to the summary; a short one keeps them.
  const showRows = !(finished && status.steps.length > maxRows);
  const window = stepWindow(status.steps, maxRows);
  const indexWidth = String(status.steps.at(-1)?.index ?? status.total).length;
  const to = `to ${clean(status.org)} on ${clean(status.target)}`;
  const title =
    status.phase === "planned"
      ? `Applying plan ${clean(status.plan_id)} ${to}`
      : `Applying plan ${clean(status.plan_id)} ${to}` +
        (status.parallelism === null ? "" : `, up to ${status.parallelism} step(s) at a time`);
  const balanceMoved = status.balance_cents !== status.balance_before_cents;
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      <Text>{status.headline}</Text>
      <Box marginTop={1}>
        <Text color={status.counts.failed > 0 ? "red" : "green"}>
          {progressBar(finishedSteps, status.total)}
        </Text>
        <Text dimColor>
          {finishedSteps > 0 || status.counts.running > 0 ? `  ${describeCounts(status.counts)}` : ""}
        </Text>
      </Box>
      <Text>
        {`Wallet: ${formatEuro(status.balance_cents)}`}
        <Text dimColor>
          {(balanceMoved ? ` (from ${formatEuro(status.balance_before_cents)})` : "") +
            ` · charged ${formatEuro(status.charged_cents)} · refunded ${formatEuro(status.refunded_cents)}` +
            ` · planned end ${formatEuro(status.planned_balance_after_cents)}`}
        </Text>
      </Text>
      {showRows && (
        <Box flexDirection="column" marginTop={1}>
          <HiddenCounts counts={window.above} where="earlier" />
          {window.rows.map((step) => (
            <StepRow key={step.id} step={step} spinner={spinner} width={indexWidth} />
          ))}
          <HiddenCounts counts={window.below} where="later" />
        </Box>
      )}
      <FinalSummary status={status} />
    </Box>
  );
}

/** The status of a store, re-rendering on each event that changes it. */
export function useApplyStatus(store: ApplyStatusStore): ApplyStatus {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

export function ApplyProgressApp({ store, maxRows }: { store: ApplyStatusStore; maxRows?: number }) {
  const status = useApplyStatus(store);
  return <ApplyProgress status={status} {...(maxRows === undefined ? {} : { maxRows })} />;
}

export interface ProgressViewOptions {
  /** Defaults to process.stdout; tests pass a fake. */
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

export interface ProgressView {
  /** Feed one apply event to the view. Safe to pass around unbound. */
  emit(event: ApplyEvent): void;
  /** Draws the last state, unmounts and resolves once ink has let go of the terminal. */
  finish(): Promise<void>;
}

/** Fewer step rows on a short terminal, so that the view never outgrows the screen (ink would clear it). */
function rowsFor(stdout: NodeJS.WriteStream): number {
  const rows = stdout.isTTY ? stdout.rows : undefined;
  if (!rows) return MAX_STEP_ROWS;
  return Math.max(3, Math.min(MAX_STEP_ROWS, rows - 12));
}

/** Renders the live view of an apply with ink and returns the sink for its events. */
export function startProgressView(plan: Plan, options: ProgressViewOptions = {}): ProgressView {
  const store = createApplyStore(plan);
  const stdout = options.stdout ?? process.stdout;
  const instance = render(<ApplyProgressApp store={store} maxRows={rowsFor(stdout)} />, {
    stdout,
    stderr: options.stderr ?? process.stderr,
    stdin: options.stdin ?? process.stdin,
    // The view reads no keys: Ctrl-C stays a SIGINT for the CLI to handle.
    exitOnCtrlC: false,
    patchConsole: options.stdout === undefined,
  });
  let finished: Promise<void> | null = null;
  return {
    emit(event) {
      if (finished === null) store.emit(event);
    },
    finish() {
      finished ??= (async () => {
        // Let ink draw the last event before it unmounts.
        await new Promise<void>((resolve) => setImmediate(resolve));
        instance.unmount();
        await instance.waitUntilExit();
      })();
      return finished;
    },
  };
}
