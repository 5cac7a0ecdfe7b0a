import { stringify } from "yaml";

/** A generated organization of `n` users with groups and aliases, deterministic for a given n. */
export interface GeneratedOrg {
  users: {
    login: string;
    email: string;
    first_name: string;
    last_name: string;
    plan: string;
    role: string;
    aliases: string[];
    groups: string[];
  }[];
  groups: { name: string; description: string }[];
}

export function generateOrg(n: number, prefix = "u"): GeneratedOrg {
  const groups = Array.from({ length: Math.max(2, Math.ceil(n / 100)) }, (_, i) => ({
    name: `team-${i}`,
    description: `Team ${i}`,
  }));
  const plans = ["entry", "pro", "entry", "free"];
  const users = Array.from({ length: n }, (_, i) => {
    const login = `${prefix}${String(i).padStart(6, "0")}`;
    const plan = plans[i % plans.length]!;
    return {
      login,
      email: `${login}@console.test`,
      first_name: "First",
      last_name: `Last${i}`,
      plan,
      role: i < 2 ? "org_admin" : "member",
      aliases: plan !== "free" && i % 3 === 0 ? [`${login}.alias@console.test`] : [],
      groups: [groups[i % groups.length]!.name, groups[(i * 7 + 1) % groups.length]!.name]
        .filter((g, k, a) => a.indexOf(g) === k)
        .sort(),
    };
  });
  return { users, groups };
}

/** The org.yaml document of a generated organization, as a value (plan's floor parses it as JSON). */
export function orgDocument(
  org: GeneratedOrg,
  owner: { login: string; email: string },
  orgPlan: string,
): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({
      version: 1,
      organization: { name: "Bench Org", plan: orgPlan },
      policy: { removal_threshold: { percent: 100, min_users: 0 } },
      groups: org.groups,
      users: [
        {
          login: owner.login,
          first_name: "Org",
          last_name: "Owner",
          email: owner.email,
          plan: "pro",
          role: "org_admin",
          owner: true,
        },
        ...org.users.map((u) => ({ ...u, ...(u.aliases.length ? {} : { aliases: undefined }) })),
      ],
    }),
  );
}

export function orgYaml(org: GeneratedOrg, owner: { login: string; email: string }, orgPlan: string): string {
  return stringify(orgDocument(org, owner, orgPlan), { lineWidth: 0 });
}

export const BENCH_CATALOG = {
  currency: "EUR",
  period_days: 365,
  plans: [
    { name: "free", price_cents: 0, aliases: 0, storage_mb: 500 },
    { name: "entry", price_cents: 4200, aliases: 10, storage_mb: 5000 },
    { name: "pro", price_cents: 9000, aliases: 50, storage_mb: 20000 },
    { name: "ultra", price_cents: 30000, aliases: 100, storage_mb: 50000 },
  ],
  org_plans: [{ name: "bench", paid_seats: 50000, free_seats: 50000, custom_domains: 10 }],
};
