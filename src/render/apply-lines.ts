import type { ApplyEvent } from "../apply/events.js";
import { formatEuro } from "../domain/index.js";
import { moneyMove } from "./text.js";

/** One plain line per apply event, for logs and CI (no TTY). Returns null for events with no line. */
export function formatApplyLine(event: ApplyEvent, total: number): string | null {
  const width = String(total).length;
  const at = (index: number) => `[${String(index).padStart(width)}/${total}]`;
  switch (event.type) {
    case "apply_started":
      return `Applying ${event.steps} step(s)${event.target ? ` to ${event.target}` : ""}, up to ${event.parallelism} at a time. Wallet: ${formatEuro(event.balance_cents)}.`;
    case "step_started":
      return null;
    case "step_done": {
      const money = moneyMove(event.amount_cents);
      const replay = event.replayed ? " (already done: replayed)" : "";
      return `${at(event.index)} done     ${event.summary}${money ? ` · ${money} · balance ${formatEuro(event.balance_cents)}` : ""}${replay}`;
    }
    case "step_failed":
      return `${at(event.index)} FAILED   ${event.summary}: ${event.code}: ${event.message}`;
    case "step_skipped":
      return `${at(event.index)} skipped  ${event.summary} (needs ${event.because})`;
    case "summary": {
      const lines = [
        "",
        `Apply ${event.status}: ${event.done} done, ${event.failed} failed, ${event.skipped} skipped${event.not_started ? `, ${event.not_started} not started` : ""} of ${event.total}.`,
        `Wallet: ${formatEuro(event.balance_before_cents)} → ${formatEuro(event.balance_after_cents)} (charges ${formatEuro(event.charged_cents)}, refunds ${formatEuro(event.refunded_cents)}).`,
      ];
      for (const failure of event.failures)
        lines.push(`  ✗ step ${failure.index} ${failure.summary}: ${failure.code}: ${failure.message}`);
      const blocked = event.blocked ?? [];
      if (blocked.length > 0) {
        lines.push(
          `Blocked: ${blocked.length} step(s) wait for domain verification; the console does not match org.yaml yet:`,
        );
        for (const step of blocked) lines.push(`  … ${step.summary} (waits for ${step.domain}'s TXT record)`);
        lines.push("Publish the TXT records `orgctl plan` shows, then run `orgctl apply` again.");
      }
      if (event.status !== "done")
        lines.push("Run `orgctl plan` to see what is left, then `orgctl apply` again: it converges.");
      return lines.join("\n");
    }
  }
}
