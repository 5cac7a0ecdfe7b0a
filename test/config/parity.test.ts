/**
 * Property: a file that passes `validate` never produces a config-caused plan error against a console that
 * can hold it.
 *
 * Random small org.yaml documents within the schema (users with aliases on the provider domain and on
 * custom domains, declared or not, groups, memberships, roles, statuses, plans, passwords, one owner) are
 * written to disk and checked as `orgctl validate` checks them (load + offline checks against the default
 * catalog). Each one that passes is planned, as `orgctl plan --sandbox` plans it, against a fresh sandbox
 * console created from the same file: the real console server in this process, on a loopback port, over a
 * temporary SQLite file, read through the real client. That console can hold the file: it has the file's
 * org plan (the default one when the file names none), the file's provider domain, the file's owner (marked
 * `owner: true`, on the provider domain, which is where a sandbox can create an owner), the auto verifier,
 * and a wallet far larger than any small file costs. So every plan error is one the file caused, and the
 * offline checks should have reported it.
 *
 * ORGCTL_PARITY_RUNS sets the number of runs (default 60); ORGCTL_PARITY_SEED (with ORGCTL_PARITY_PATH)
 * replays a failure that fast-check reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadChecked } from "../../src/cli/config-io.js";
import { planAgainst } from "../../src/cli/planning.js";
import { ConsoleClient } from "../../src/client/console-client.js";
import { ConfigInvalidError } from "../../src/config/model.js";
import { SANDBOX_BALANCE_CENTS, sandboxBootstrap, startSandbox } from "../../src/console/sandbox.js";

const RUNS = Number(process.env.ORGCTL_PARITY_RUNS ?? 60);
const SEED = process.env.ORGCTL_PARITY_SEED ? Number(process.env.ORGCTL_PARITY_SEED) : undefined;
const PATH = process.env.ORGCTL_PARITY_PATH;

const TOKEN = "oct_parity-test-token-5Jd8wQ2zR7mK";
const PASSWORD_ENV = "ORGCTL_PARITY_PASSWORD";
const NOW = new Date("2026-03-01T12:00:00Z");

const PROVIDERS = ["console.test", "mail.example.net"];
const DOMAINS = ["acme.example", "beta.example", "corp.example", "delta.example"];
const GROUPS = ["eng", "ops", "sales", "x.team", "hr"];
const LOGINS = ["anna", "bert", "cleo", "dora", "emil", "fay", "gus"];
/** Local parts users may share, or that the schema allows (anything without `@` or blanks) and the rules may not. */
const LOCAL_PARTS = ["Info", "office", "support", "postmaster", "abuse", "x_", ".dot", "a..b"];
const NAMES = ["Anna", "Bert", "Cleo", "  Dora ", " ", "Émile"];

interface Doc {
  provider: string;
  orgPlan: string | undefined;
  domains: string[];
  groups: string[];
  users: Record<string, unknown>[];
}

/** Mostly what the file declares, now and then something it does not (which validate must refuse). */
const mostly = <T>(good: readonly T[], bad: readonly T[]): fc.Arbitrary<T> =>
  good.length === 0
    ? fc.constantFrom(...bad)
    : fc.oneof(
        { weight: 40, arbitrary: fc.constantFrom(...good) },
        { weight: 1, arbitrary: fc.constantFrom(...bad) },
      );

interface Frame {
  provider: string;
  domains: string[];
  groups: string[];
}

/**
 * An address: mostly the user's own name on a domain it may use, sometimes a shared or doubtful local part,
 * or a custom domain the file does not declare.
 */
const addressOf = (frame: Frame, login: string, suffixes: string[], usable: string[]) =>
  fc
    .tuple(
      fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom(...suffixes.map((s) => `${login}${s}`)) },
        { weight: 1, arbitrary: fc.constantFrom(...LOCAL_PARTS) },
      ),
      mostly(usable, [...DOMAINS.filter((d) => !frame.domains.includes(d)), "nowhere.example"]),
    )
    .map(([local, domain]) => `${local}@${domain}`);

const userOf = (frame: Frame, login: string, owner: boolean) =>
  fc
    .record({
      first_name: mostly(NAMES.slice(0, 4), NAMES.slice(4)),
      last_name: mostly(NAMES.slice(0, 4), NAMES.slice(4)),
      // The owner is created by the sandbox at start-up, before any custom domain exists.
      email: addressOf(frame, login, [""], owner ? [frame.provider] : [frame.provider, ...frame.domains]),
      plan: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom("entry", "pro", "ultra") },
        { weight: 1, arbitrary: fc.constant("free") },
        { weight: 1, arbitrary: mostly(["pro"], ["gold"]) },
      ),
      role: owner
        ? fc.oneof(
            { weight: 12, arbitrary: fc.constant("org_admin") },
            { weight: 1, arbitrary: fc.constantFrom("billing_admin", "member") },
          )
        : fc.constantFrom("org_admin", "billing_admin", "user_admin", "member"),
      status: owner
        ? mostly(["active"], ["disabled"])
        : fc.constantFrom("active", "active", "active", "disabled"),
      aliases: fc.oneof(
        { weight: 3, arbitrary: fc.constant([]) },
        {
          weight: 3,
          arbitrary: fc.array(
            addressOf(frame, login, [".a", ".b", "+c", "_d", "-e"], [frame.provider, ...frame.domains]),
            { maxLength: 3 },
          ),
        },
        {
          weight: 1,
          arbitrary: fc
            .uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: 9, maxLength: 12 })
            .map((ns) => ns.map((n) => `${login}${n}@${frame.provider}`)),
        },
      ),
      groups: fc.array(mostly(frame.groups, ["ghosts"]), { maxLength: 3 }),
      password: fc.boolean(),
      mobile: fc.option(fc.constantFrom("+33 6 12 34 56 78", ""), { nil: undefined }),
    })
    .map((u) => {
      const entry: Record<string, unknown> = {
        login,
        first_name: u.first_name,
        last_name: u.last_name,
        email: u.email,
        // Free users have no aliases: keep most of those files valid.
        plan: u.plan === "free" && u.aliases.length > 0 ? "entry" : u.plan,
        role: u.role,
        status: u.status,
      };
      if (owner) entry.owner = true;
      if (u.aliases.length > 0) entry.aliases = u.aliases;
      if (u.groups.length > 0) entry.groups = u.groups;
      if (u.password) entry.password = { env: PASSWORD_ENV };
      if (u.mobile !== undefined) entry.profile = { mobile: u.mobile };
      return entry;
    });

const docs: fc.Arbitrary<Doc> = fc
  .record({
    provider: fc.constantFrom(...PROVIDERS),
    orgPlan: fc.option(fc.constantFrom("entry", "pro", "ultra"), { nil: undefined }),
    domains: fc.subarray(DOMAINS, { maxLength: 3 }),
    groups: fc.subarray(GROUPS),
    logins: fc.uniqueArray(fc.constantFrom(...LOGINS), { minLength: 1, maxLength: 6 }),
  })
  .chain(({ provider, orgPlan, domains, groups, logins }) =>
    fc
      .tuple(...logins.map((login, i) => userOf({ provider, domains, groups }, login, i === 0)))
      .map((users) => ({ provider, orgPlan, domains, groups, users })),
  );

function yamlOf(doc: Doc): string {
  return stringify({
    version: 1,
    organization: {
      name: "Parity Org",
      ...(doc.orgPlan ? { plan: doc.orgPlan } : {}),
      provider_domain: doc.provider,
    },
    domains: doc.domains.map((name) => ({ name })),
    groups: doc.groups.map((name) => ({ name, description: `the ${name} group` })),
    users: doc.users,
  });
}

const dir = mkdtempSync(join(tmpdir(), "orgctl-parity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let run = 0;
const tally = { valid: 0, invalid: 0 };

/** validate, then plan against a fresh sandbox made from the file; the plan's errors (none for a valid file). */
async function validateThenPlan(doc: Doc): Promise<string[] | null> {
  run += 1;
  const file = join(dir, `org-${run}.yaml`);
  writeFileSync(file, yamlOf(doc));
  let checked: ReturnType<typeof loadChecked>;
  try {
    checked = loadChecked(file);
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    tally.invalid += 1;
    return null;
  }
  tally.valid += 1;
  const bootstrap = sandboxBootstrap(checked.config.desired, TOKEN, SANDBOX_BALANCE_CENTS);
  let running: Awaited<ReturnType<typeof startSandbox>>;
  try {
    running = await startSandbox(join(dir, `sandbox-${run}.db`), bootstrap, () => new Date(NOW));
  } catch (error) {
    return [`the sandbox cannot start: ${(error as Error).message}`];
  }
  const client = new ConsoleClient({ endpoint: running.url, token: TOKEN });
  const target = {
    client,
    label: "sandbox parity",
    sandbox: running,
    close: async () => {
      await client.close();
      await running.close();
    },
  };
  try {
    const { plan } = await planAgainst(target, checked.config, checked.warnings, { file });
    return plan.errors.map((e) => `${e.code}: ${e.message}${e.fix ? ` (fix: ${e.fix})` : ""}`);
  } catch (error) {
    // The live catalog's checks are the default catalog's here: a file valid offline must pass them too.
    if (error instanceof ConfigInvalidError) {
      return error.issues.map((i) => `${i.code} (at plan time): ${i.message}`);
    }
    throw error;
  } finally {
    await target.close();
  }
}

describe("validate and plan agree", () => {
  it("a file that passes validate plans without errors against a fresh console that can hold it", async () => {
    process.env[PASSWORD_ENV] = "Correct-Horse-Battery-9";
    try {
      await fc.assert(
        fc.asyncProperty(docs, async (doc) => {
          const errors = await validateThenPlan(doc);
          if (errors === null) return;
          expect(errors, yamlOf(doc)).toEqual([]);
        }),
        {
          numRuns: RUNS,
          ...(SEED !== undefined ? { seed: SEED } : {}),
          ...(PATH ? { path: PATH } : {}),
        },
      );
    } finally {
      delete process.env[PASSWORD_ENV];
    }
    // A generator whose files all fail validate would prove nothing.
    expect(tally.valid, `valid ${tally.valid}, invalid ${tally.invalid}`).toBeGreaterThanOrEqual(
      Math.ceil(RUNS / 10),
    );
  }, 600_000);
});
