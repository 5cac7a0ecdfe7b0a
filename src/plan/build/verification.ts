import {
  type ConsoleState,
  provesOwnership,
  verificationRecord,
  verifiesWithoutDns,
} from "../../domain/index.js";
import type { DraftStep } from "../diff.js";
import type { BlockedStep } from "../model.js";

export interface Verification {
  /** The steps that can run now. */
  runnable: DraftStep[];
  /** The steps that wait for a domain's verification, each with the TXT record to publish. */
  blocked: BlockedStep[];
}

/**
 * Stage 2, resolve verification: verification is proved by DNS, which the caller looked up; the steps on a
 * domain not yet provable wait (blocked). With the auto verifier a new domain is verified when created, so
 * its verify step is dropped and what waited for it waits for the domain's creation.
 */
export function resolveVerification(
  drafts: DraftStep[],
  state: ConsoleState,
  verifiedTxt: Map<string, string[]> | undefined,
): Verification {
  const blocked: BlockedStep[] = [];
  const blockedIds = new Set<string>();
  const pendingDomains = new Set<string>();
  for (const step of drafts) {
    if (step.action !== "verify_domain") continue;
    const txt = verifiedTxt?.get(step.key);
    const existing = state.domains.get(step.key);
    // The auto verifier needs no DNS proof, for a new domain (verified when created) or a pending one.
    if (verifiesWithoutDns(state.org)) continue;
    if (existing && txt && provesOwnership(existing, txt)) {
      (step.operation as { txt_values?: string[] }).txt_values = txt;
      continue;
    }
    pendingDomains.add(step.key);
  }
  // With the auto verifier a new domain is verified when created: its verify step is not needed.
  const steps = drafts.filter((s) => {
    if (s.action !== "verify_domain") return true;
    return state.domains.has(s.key) || !verifiesWithoutDns(state.org);
  });
  const byId = new Map(steps.map((s) => [s.id, s]));
  const dropped = new Map(drafts.filter((s) => !byId.has(s.id)).map((s) => [s.id, s]));
  for (const s of steps) {
    for (const dep of [...s.deps]) {
      if (byId.has(dep)) continue;
      s.deps.delete(dep);
      // What waited for a dropped verification waits for what it waited for: the domain's creation.
      for (const inherited of dropped.get(dep)?.deps ?? []) if (byId.has(inherited)) s.deps.add(inherited);
    }
  }
  const blockedMemo = new Map<string, string | null>();
  const blockedBy = (step: DraftStep): string | null => {
    const known = blockedMemo.get(step.id);
    if (known !== undefined) return known;
    blockedMemo.set(step.id, null);
    let domain: string | null =
      step.action === "verify_domain" && pendingDomains.has(step.key) ? step.key : null;
    for (const dep of step.deps) {
      if (domain) break;
      const parent = byId.get(dep);
      if (parent) domain = blockedBy(parent);
    }
    blockedMemo.set(step.id, domain);
    return domain;
  };
  for (const step of steps) {
    const domain = blockedBy(step);
    if (!domain) continue;
    const existing = state.domains.get(domain);
    blockedIds.add(step.id);
    blocked.push({
      id: step.id,
      action: step.action,
      kind: step.kind,
      key: step.key,
      summary: step.summary,
      ...(step.source ? { source: step.source } : {}),
      domain,
      txt_record: existing ? verificationRecord(existing.name, existing.verification_token) : null,
      reason: existing
        ? `${domain} is pending verification; publish its TXT record, then plan again`
        : `${domain} must be created and verified first; apply, publish the TXT record orgctl shows, then plan again`,
    });
  }
  const runnable = steps.filter((s) => !blockedIds.has(s.id));
  return { runnable, blocked: blocked.sort((a, b) => a.id.localeCompare(b.id)) };
}
