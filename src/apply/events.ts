/**
 * What an apply reports as it goes. The core emits these and knows nothing of screens; the renderers (plain
 * lines, JSON lines, the ink TUI) only turn them into output. With `--format json` each is one line.
 */
export type ApplyEvent =
  | {
      type: "apply_started";
      plan_id: string;
      /** The console applied to (endpoint URL or `sandbox FILE`); the CLI adds it, the core does not know it. */
      target?: string;
      steps: number;
      parallelism: number;
      balance_cents: number;
    }
  | { type: "step_started"; id: string; index: number; summary: string; symbol: string }
  | {
      type: "step_done";
      id: string;
      index: number;
      summary: string;
      amount_cents: number;
      balance_cents: number;
      /** The console answered from its idempotency store: the step had already taken effect. */
      replayed: boolean;
    }
  | { type: "step_failed"; id: string; index: number; summary: string; code: string; message: string }
  | { type: "step_skipped"; id: string; index: number; summary: string; because: string }
  | ({
      type: "summary";
      target?: string;
      /** Steps the plan could not start: they wait for a domain's verification. */
      blocked?: { id: string; summary: string; domain: string }[];
    } & ApplySummary);

export interface StepFailure {
  id: string;
  index: number;
  summary: string;
  code: string;
  message: string;
}

export interface ApplySummary {
  status: "done" | "failed" | "interrupted";
  plan_id: string;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  not_started: number;
  balance_before_cents: number;
  balance_after_cents: number;
  charged_cents: number;
  refunded_cents: number;
  failures: StepFailure[];
}
