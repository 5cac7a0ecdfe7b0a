import { API } from "../api/routes.js";
import { OrgctlError } from "../errors.js";

/**
 * Fault injection for `orgctl serve --faults SPEC`, to prove that clients survive what real networks and
 * consoles do. SPEC is comma-separated `key=value`:
 *   rate=0.2                                  share of requests that get a fault (0..1)
 *   kinds=503+429+reset+latency+commit-drop   which faults to draw from (default: all)
 *   latency=200ms                             delay for `latency` faults
 *   seed=42                                   makes the sequence of faults repeatable
 * `commit-drop` commits the mutation, then drops the connection before the response: the case idempotency
 * keys exist for. It applies to mutations only; reads draw from the other kinds.
 */
export const FAULT_KINDS = ["503", "429", "reset", "latency", "commit-drop"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  rate: number;
  kinds: FaultKind[];
  latencyMs: number;
  seed: number;
}

export class FaultSpecError extends OrgctlError<"invalid_faults"> {
  constructor(message: string) {
    super("invalid_faults", message);
  }
}

export function parseFaults(spec: string): FaultSpec {
  const out: FaultSpec = { rate: 0.1, kinds: [...FAULT_KINDS], latencyMs: 200, seed: 1 };
  for (const part of spec
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, value = ""] = part.split("=", 2).map((s) => s.trim()) as [string, string?];
    if (key === "rate") {
      const rate = Number(value);
      if (!(rate >= 0 && rate <= 1))
        throw new FaultSpecError(`faults: rate must be from 0 to 1 (got ${value})`);
      out.rate = rate;
    } else if (key === "kinds") {
      const kinds = value.split("+").filter(Boolean);
      for (const kind of kinds) {
        if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
          throw new FaultSpecError(`faults: unknown kind ${kind}; use ${FAULT_KINDS.join(", ")}`);
        }
      }
      if (kinds.length === 0) throw new FaultSpecError("faults: kinds needs at least one kind");
      out.kinds = kinds as FaultKind[];
    } else if (key === "latency") {
      const match = /^(\d+)(ms|s)?$/.exec(value);
      if (!match) throw new FaultSpecError(`faults: latency must look like 200ms or 1s (got ${value})`);
      out.latencyMs = Number(match[1]) * (match[2] === "s" ? 1000 : 1);
    } else if (key === "seed") {
      if (!/^\d+$/.test(value))
        throw new FaultSpecError(`faults: seed must be a whole number (got ${value})`);
      out.seed = Number(value);
    } else {
      throw new FaultSpecError(`faults: unknown setting ${key}; use rate, kinds, latency, seed`);
    }
  }
  return out;
}

/** mulberry32: small, fast and repeatable for a given seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private readonly random: () => number;

  constructor(readonly spec: FaultSpec) {
    this.random = generator(spec.seed);
  }

  /** The fault for this request, or null. Health checks are never faulted. */
  pick(method: string, path: string): FaultKind | null {
    if (path === API.healthz.path || this.random() >= this.spec.rate) return null;
    const mutating = method !== "GET" && method !== "HEAD";
    const kinds = this.spec.kinds.filter((k) => k !== "commit-drop" || mutating);
    if (kinds.length === 0) return null;
    return kinds[Math.floor(this.random() * kinds.length)]!;
  }
}
