import {
  type Actor,
  applyDecision,
  type ConsoleState,
  type Decision,
  type Domain,
  decide,
  normalizeAddress,
  type Operation,
  RECORD_KINDS,
  splitAddress,
  type User,
} from "../domain/index.js";
import type { DraftStep } from "./diff.js";
import { isPlannedOperation, type ReadSink, STEP_KINDS } from "./step-kinds.js";

/** What the scheduler learned about one step it ran. */
export interface StepFacts {
  /** Ids of the earlier steps this one needs (the counted resources are added later). */
  needs: Set<string>;
  /** Keys of what this step changed: a step refused on one of them is tried again. */
  signals: string[];
}

/** What an operation reads from the records, as keys: `user:L`, `group:G`, `domain:D`, `address:A`, `member:G/L`. */
interface Reads {
  /** Records that must exist. */
  present: string[];
  /** Records that must not exist (a create, or an address to take). */
  absent: string[];
  /** Custom domains that must be verified (an address taken on them). */
  verified: string[];
  /** A user whose own fields (plan, status, aliases, role…) the decision reads. */
  fieldsOf: string | null;
}

function domainOf(address: string): string | null {
  return splitAddress(normalizeAddress(address))?.domain ?? null;
}

/** Collects an operation's reads (the `reads` of its entry in step-kinds.ts). */
class ReadsCollector implements ReadSink {
  readonly reads: Reads = { present: [], absent: [], verified: [], fieldsOf: null };
  constructor(private readonly providerDomain: string) {}
  present(...keys: string[]): void {
    this.reads.present.push(...keys);
  }
  absent(...keys: string[]): void {
    this.reads.absent.push(...keys);
  }
  take(address: string): void {
    const a = normalizeAddress(address);
    this.reads.absent.push(`address:${a}`);
    const domain = domainOf(a);
    if (domain && domain !== this.providerDomain) this.reads.verified.push(domain);
  }
  user(login: string): void {
    this.reads.present.push(`user:${login}`);
    this.reads.fieldsOf = login;
  }
}

function readsOf(op: Operation, state: ConsoleState): Reads {
  const collector = new ReadsCollector(state.org.provider_domain);
  if (isPlannedOperation(op.op)) STEP_KINDS[op.op].reads?.(op as never, collector);
  return collector.reads;
}

/** Every record key an operation reads, for waking it when one of them changes. */
export function touchedKeys(op: Operation, state: ConsoleState): string[] {
  const reads = readsOf(op, state);
  return [...reads.present, ...reads.absent, ...reads.verified.map((d) => `domain:${d}`)];
}

/** The fields one step changed on a user record, with their earlier values, so that a test can undo them. */
interface UserChange {
  id: string;
  fields: [keyof User, unknown][];
  aliasesAdded: string[];
  aliasesRemoved: string[];
}

function userChange(id: string, before: User, after: User): UserChange {
  const fields: [keyof User, unknown][] = [];
  for (const key of Object.keys(after) as (keyof User)[]) {
    if (key === "aliases") continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) fields.push([key, before[key]]);
  }
  return {
    id,
    fields,
    aliasesAdded: after.aliases.filter((a) => !before.aliases.includes(a)),
    aliasesRemoved: before.aliases.filter((a) => !after.aliases.includes(a)),
  };
}

/**
 * Finds, step by step as the scheduler runs them, what each step needs from the steps before it, from facts
 * only: which records the engine's effects created, removed, verified or changed, and, for a change to the
 * same user, whether the engine would refuse the step with that change undone.
 */
export class NeedsTracker {
  /** The step that last made each record exist. */
  private readonly creator = new Map<string, string>();
  /** The step that last removed each record or released each address. */
  private readonly remover = new Map<string, string>();
  private readonly verifier = new Map<string, string>();
  /** Steps that released an address on each custom domain. */
  private readonly releases = new Map<string, string[]>();
  /** Steps that read a record since it was created: removing it must wait for them. */
  private readonly readers = new Map<string, string[]>();
  /** Field changes to each user since it was created. */
  private readonly changes = new Map<string, UserChange[]>();

  constructor(
    private readonly actor: Actor,
    private readonly now: Date,
  ) {}

  /**
   * Records a step the engine allowed, before its decision is applied to `state`; returns what it needs.
   * `state` is used as scratch for the undo tests and is left as it was.
   */
  record(state: ConsoleState, step: DraftStep, decision: Extract<Decision, { ok: true }>): StepFacts {
    const needs = new Set<string>();
    const reads = readsOf(step.operation, state);
    for (const key of reads.present) {
      const made = this.creator.get(key);
      if (made) needs.add(made);
      const list = this.readers.get(key);
      if (list) list.push(step.id);
      else this.readers.set(key, [step.id]);
    }
    for (const key of reads.absent) {
      const freed = this.remover.get(key);
      if (freed) needs.add(freed);
    }
    for (const domain of reads.verified) {
      const by = this.verifier.get(domain) ?? this.creator.get(`domain:${domain}`);
      if (by) needs.add(by);
    }
    if (step.operation.op === "delete_domain") {
      for (const id of this.releases.get(step.operation.name) ?? []) needs.add(id);
    }
    if (reads.fieldsOf) {
      for (const change of this.changes.get(reads.fieldsOf) ?? []) {
        if (this.needsChange(state, step, reads.fieldsOf, change)) needs.add(change.id);
      }
    }

    const signals: string[] = [];
    const created = (key: string) => {
      this.creator.set(key, step.id);
      this.readers.delete(key);
      signals.push(key);
    };
    const removed = (key: string) => {
      this.remover.set(key, step.id);
      for (const id of this.readers.get(key) ?? []) needs.add(id);
      this.readers.delete(key);
      signals.push(key);
    };
    const released = (address: string) => {
      removed(`address:${address}`);
      const domain = domainOf(address);
      if (domain && domain !== state.org.provider_domain) {
        const list = this.releases.get(domain);
        if (list) list.push(step.id);
        else this.releases.set(domain, [step.id]);
        signals.push(`domain:${domain}`);
      }
    };
    for (const effect of decision.effects) {
      switch (effect.type) {
        case "put_user": {
          const before = state.users.get(effect.user.login);
          const after = effect.user;
          const key = `user:${after.login}`;
          if (!before) {
            // The addresses it takes need no record: only their release is ever waited for.
            created(key);
            this.changes.delete(after.login);
            break;
          }
          const change = userChange(step.id, before, after);
          for (const a of change.aliasesRemoved) released(a);
          if (change.fields.length + change.aliasesAdded.length + change.aliasesRemoved.length > 0) {
            const list = this.changes.get(after.login);
            if (list) list.push(change);
            else this.changes.set(after.login, [change]);
            signals.push(key);
          }
          break;
        }
        case "delete_user": {
          const before = state.users.get(effect.login);
          removed(`user:${effect.login}`);
          this.changes.delete(effect.login);
          if (before) for (const a of [before.email, ...before.aliases]) released(a);
          break;
        }
        case "put_record": {
          const name = effect.record.name;
          const key = `${RECORD_KINDS[effect.kind].noun}:${name}`;
          const before = state[effect.kind].get(name);
          if (!before) created(key);
          else signals.push(key);
          if (effect.kind === "groups") {
            // Memberships come from the operation: comparing member lists would cost the group's size.
            const op = step.operation;
            if (op.op === "create_user") created(`member:${name}/${op.user.login}`);
            else if (op.op === "add_member") created(`member:${name}/${op.login}`);
            else if (op.op === "remove_member") removed(`member:${name}/${op.login}`);
            else if (op.op === "delete_user") removed(`member:${name}/${op.login}`);
          } else if (effect.kind === "domains") {
            if (
              effect.record.status === "verified" &&
              (before as Domain | undefined)?.status !== "verified"
            ) {
              this.verifier.set(name, step.id);
            }
          }
          break;
        }
        case "delete_record":
          removed(`${RECORD_KINDS[effect.kind].noun}:${effect.name}`);
          if (effect.kind === "domains") this.verifier.delete(effect.name);
          break;
        default:
          break;
      }
    }
    needs.delete(step.id);
    return { needs, signals };
  }

  /** Whether the engine would refuse `step` with `change` (an earlier step's change to this user) undone. */
  private needsChange(state: ConsoleState, step: DraftStep, login: string, change: UserChange): boolean {
    const current = state.users.get(login);
    if (!current) return false;
    const undone: User = { ...current };
    for (const [field, value] of change.fields) (undone as unknown as Record<string, unknown>)[field] = value;
    const aliases = new Set(current.aliases);
    for (const a of change.aliasesAdded) aliases.delete(a);
    for (const a of change.aliasesRemoved) {
      // An address given to someone else since cannot come back in this test without corrupting the index.
      const holder = state.addresses.get(a);
      if (!holder || holder.login === login) aliases.add(a);
    }
    undone.aliases = [...aliases].sort();
    applyDecision(state, [{ type: "put_user", user: undone }], [], false);
    try {
      return !decide(state, this.actor, step.operation, this.now).ok;
    } finally {
      applyDecision(state, [{ type: "put_user", user: current }], [], false);
    }
  }
}
