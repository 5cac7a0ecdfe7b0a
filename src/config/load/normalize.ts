import { normalizeAddress } from "../../domain/addresses.js";
import type { ProfileField, Role } from "../../domain/model.js";
import { DEFAULT_POLICY, type DesiredOrg, type DesiredUser, type Policy, type SecretRef } from "../model.js";
import { desiredRecords } from "./records.js";

interface RawUser {
  login: string;
  first_name: string;
  last_name: string;
  email: string;
  plan: string;
  role?: Role;
  status?: "active" | "disabled";
  owner?: boolean;
  protected?: boolean;
  aliases?: string[];
  groups?: string[];
  profile?: Partial<Record<ProfileField, string>>;
  password?: { env?: string; file?: string; rotation?: string };
}

export interface RawConfig {
  version: 1;
  organization: { name: string; slug?: string; plan?: string; provider_domain?: string };
  policy?: Partial<Omit<Policy, "unlisted" | "removal_threshold">> & {
    unlisted?: Partial<Policy["unlisted"]>;
    removal_threshold?: Partial<Policy["removal_threshold"]>;
  };
  domains?: { name: string }[];
  groups?: { name: string; description?: string; previously?: string[] }[];
  users?: RawUser[];
}

/** A file's value that passed the schema → the desired organization: defaults filled in, addresses normalized, lists sorted. */
export function normalize(raw: RawConfig): DesiredOrg {
  const policy: Policy = {
    removed_users: raw.policy?.removed_users ?? DEFAULT_POLICY.removed_users,
    unlisted: { ...DEFAULT_POLICY.unlisted, ...(raw.policy?.unlisted ?? {}) },
    removal_threshold: { ...DEFAULT_POLICY.removal_threshold, ...(raw.policy?.removal_threshold ?? {}) },
    min_balance_cents: raw.policy?.min_balance_cents ?? DEFAULT_POLICY.min_balance_cents,
    ignore_profile_fields: [
      ...(raw.policy?.ignore_profile_fields ?? DEFAULT_POLICY.ignore_profile_fields),
    ].sort(),
  };
  return {
    organization: {
      name: raw.organization.name,
      ...(raw.organization.slug !== undefined ? { slug: raw.organization.slug } : {}),
      plan: raw.organization.plan ?? null,
      provider_domain: raw.organization.provider_domain ?? "console.test",
    },
    policy,
    domains: (raw.domains ?? []).map((d) => ({ name: d.name })),
    groups: (raw.groups ?? []).map((g) => ({
      name: g.name,
      description: g.description ?? "",
      previously: [...(g.previously ?? [])],
    })),
    users: (raw.users ?? []).map(normalizeUser),
    ...desiredRecords(raw),
  };
}

function normalizeUser(raw: RawUser): DesiredUser {
  const password: SecretRef | null = raw.password
    ? {
        ...(raw.password.env ? { env: raw.password.env } : { file: raw.password.file! }),
        rotation: raw.password.rotation ?? null,
      }
    : null;
  return {
    login: raw.login,
    first_name: raw.first_name.trim(),
    last_name: raw.last_name.trim(),
    email: normalizeAddress(raw.email),
    plan: raw.plan,
    role: raw.role ?? "member",
    status: raw.status ?? "active",
    owner: raw.owner ?? false,
    protected: raw.protected ?? false,
    aliases: uniqueSorted((raw.aliases ?? []).map(normalizeAddress)),
    groups: uniqueSorted(raw.groups ?? []),
    profile: { ...(raw.profile ?? {}) },
    password,
  };
}

/** `[...new Set(list)].sort()` without the Set and its iterator (10,000 users, two lists each): sorted, repeats dropped. */
function uniqueSorted(list: readonly string[]): string[] {
  const sorted = list.slice().sort();
  let kept = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (kept === 0 || sorted[i] !== sorted[kept - 1]) sorted[kept++] = sorted[i]!;
  }
  sorted.length = kept;
  return sorted;
}
