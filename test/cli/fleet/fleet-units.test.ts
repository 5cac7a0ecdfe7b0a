import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { orgPath } from "../../../src/api/org-prefix.js";
import { fleetFiles, looksLikeOrgFile } from "../../../src/cli/fleet/discover.js";
import { loadFleet } from "../../../src/cli/fleet/members.js";
import {
  fleetExitCode,
  fleetTotals,
  type OrgOutcome,
  type OrgStatus,
  worstFirst,
  ZERO_COUNTS,
} from "../../../src/cli/fleet/outcome.js";
import { inShard, parseShard, shardOf } from "../../../src/cli/fleet/shard.js";
import { slugIn } from "../../../src/cli/slug-sniff.js";
import { ConfigInvalidError } from "../../../src/config/model.js";

const dir = mkdtempSync(join(tmpdir(), "orgctl-fleet-units-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function orgYaml(name: string, slug: string | null): string {
  return [
    "version: 1",
    "organization:",
    `  name: ${name}`,
    ...(slug === null ? [] : [`  slug: ${slug}`]),
    "  plan: pro",
    "users:",
    `  - login: admin`,
    "    first_name: Org",
    "    last_name: Owner",
    `    email: ${slug ?? "x"}-admin@console.test`,
    "    plan: pro",
    "    role: org_admin",
    "    owner: true",
    "",
  ].join("\n");
}

function write(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}

describe("fleet discovery", () => {
  const orgs = join(dir, "orgs");
  mkdirSync(join(orgs, "nested"), { recursive: true });
  write(join(orgs, "b.yml"), orgYaml("B", "b"));
  write(join(orgs, "a.yaml"), orgYaml("A", "a"));
  write(join(orgs, "notes.yaml"), "title: not an org file\norganizations: []\n");
  write(join(orgs, "readme.txt"), orgYaml("T", "t"));
  write(join(orgs, "nested", "c.yaml"), orgYaml("C", "c"));

  it("one file is the single-organization command", () => {
    expect(fleetFiles([join(orgs, "a.yaml")])).toBeNull();
    expect(fleetFiles([join(dir, "missing.yaml")])).toBeNull();
  });

  it("a directory gives its own org files, sorted, not other YAML, other files or subdirectories", () => {
    expect(fleetFiles([orgs])).toEqual([join(orgs, "a.yaml"), join(orgs, "b.yml")]);
  });

  it("several -f give those files, each once", () => {
    const a = join(orgs, "a.yaml");
    const b = join(orgs, "b.yml");
    expect(fleetFiles([b, a, b])).toEqual([b, a]);
    expect(fleetFiles([orgs, a])).toEqual([a, b]);
  });

  it("a directory without an org file is refused with what to pass", () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    write(join(empty, "x.yaml"), "a: 1\n");
    expect(() => fleetFiles([empty])).toThrow(/holds no org file.*pass the directory of your org files/);
  });

  it("an org file is told by its top-level organization: key", () => {
    expect(looksLikeOrgFile("version: 1\norganization:\n  name: x\n")).toBe(true);
    expect(looksLikeOrgFile("# c\norganization   : { name: x }\n")).toBe(true);
    expect(looksLikeOrgFile("version: 1\n  organization: nested\n")).toBe(false);
    expect(looksLikeOrgFile("organizations: []\n")).toBe(false);
    expect(looksLikeOrgFile('{"version":1,"organization":{"name":"x","slug":"x"}}')).toBe(true);
    expect(looksLikeOrgFile('{"version":1,"owners":["x"]}')).toBe(false);
  });
});

describe("slug sniffing (a hint before the parse)", () => {
  it("finds the slug in the organization block, quoted or not, with comments", () => {
    expect(slugIn("version: 1\norganization:\n  name: A\n  slug: acme # ours\n  plan: pro\n")).toBe("acme");
    expect(slugIn("organization:\n  # the slug\n\n  slug: 'acme-2'\nusers: []\n")).toBe("acme-2");
    expect(slugIn('organization: { name: A, slug: "acme" }\n')).toBe("acme");
  });

  it("does not take another block's slug, and says nothing when there is none", () => {
    expect(slugIn("organization:\n  name: A\ngroups:\n  - name: g\n    slug: nope\n")).toBeUndefined();
    expect(slugIn("organization:\n  name: A\n")).toBeUndefined();
    expect(slugIn("")).toBeUndefined();
  });
});

describe("org prefix", () => {
  it("puts org-scoped routes under /v1/orgs/{slug}, never the console-wide ones or /v1/me", () => {
    expect(orgPath("/v1/users", "acme")).toBe("/v1/orgs/acme/users");
    expect(orgPath("/v1/users/bob/aliases", "acme")).toBe("/v1/orgs/acme/users/bob/aliases");
    expect(orgPath("/v1/org", "acme")).toBe("/v1/orgs/acme/org");
    expect(orgPath("/v1/lock", "acme")).toBe("/v1/orgs/acme/lock");
    expect(orgPath("/v1/healthz", "acme")).toBe("/v1/healthz");
    expect(orgPath("/v1/orgs", "acme")).toBe("/v1/orgs");
    expect(orgPath("/v1/me", "acme")).toBe("/v1/me");
    expect(orgPath("/v1/me/password", "acme")).toBe("/v1/me/password");
    expect(orgPath("/v1/users", null)).toBe("/v1/users");
    expect(() => orgPath("/v1/users", "../admin")).toThrow(/not an organization slug/);
  });
});

describe("--shard", () => {
  it("parses i/n with 1 ≤ i ≤ n", () => {
    expect(parseShard("1/1")).toEqual({ index: 1, count: 1 });
    expect(parseShard(" 3/4 ")).toEqual({ index: 3, count: 4 });
    for (const bad of ["0/4", "5/4", "1/0", "a/b", "1", "1/2/3", "-1/2", "1.5/2", "1/1001"]) {
      expect(() => parseShard(bad), bad).toThrow(/--shard must be i\/n with 1 ≤ i ≤ n/);
    }
  });

  it("splits every slug into exactly one shard, the same on every run", () => {
    const slugs = Array.from({ length: 300 }, (_, i) => `org-${i}`);
    const shards = [1, 2, 3, 4].map((index) => inShard(slugs, { index, count: 4 }, (s) => s));
    expect(shards.flat().sort()).toEqual([...slugs].sort());
    for (const shard of shards) expect(shard.length).toBeGreaterThan(40);
    expect(shardOf("org-17", 4)).toBe(shardOf("org-17", 4));
    expect(inShard(slugs, null, (s) => s)).toEqual(slugs);
  });

  it("adding organizations moves no other one to another shard", () => {
    const before = Array.from({ length: 100 }, (_, i) => `client-${i}`);
    const after = [...before, "new-a", "new-b", "zz-new"];
    for (const slug of before) {
      expect(after.includes(slug) && shardOf(slug, 5)).toBe(shardOf(slug, 5));
    }
    const inTwo = inShard(after, { index: 2, count: 5 }, (s) => s).filter((s) => before.includes(s));
    expect(inTwo).toEqual(inShard(before, { index: 2, count: 5 }, (s) => s));
  });
});

describe("loading a fleet", () => {
  it("every file must name its slug: the error points at organization: in that file", () => {
    const a = write(join(dir, "l-a.yaml"), orgYaml("A", "a"));
    const noSlug = write(join(dir, "l-none.yaml"), orgYaml("None", null));
    let thrown: unknown;
    try {
      loadFleet([a, noSlug]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigInvalidError);
    const issues = (thrown as ConfigInvalidError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: noSlug, line: 3, col: 3, code: "slug_required" });
  });

  it("a slug two files name is refused at the second, naming the first's place", () => {
    const a = write(join(dir, "d-a.yaml"), orgYaml("A", "same"));
    const b = write(join(dir, "d-b.yaml"), orgYaml("B", "same"));
    let thrown: unknown;
    try {
      loadFleet([a, b]);
    } catch (error) {
      thrown = error;
    }
    const issues = (thrown as ConfigInvalidError).issues;
    expect(issues).toEqual([
      expect.objectContaining({
        file: b,
        line: 4,
        col: 9,
        code: "slug_duplicate",
        message: expect.stringContaining(`also named by ${a}:4:9`),
      }),
    ]);
  });

  it("a file that cannot be loaded is that organization's error, not the fleet's", () => {
    const a = write(join(dir, "b-a.yaml"), orgYaml("A", "ok"));
    const broken = write(join(dir, "b-broken.yaml"), "version: 1\norganization:\n  name: [unclosed\n");
    const entries = loadFleet([a, broken]);
    expect(entries.map((e) => [e.file, e.slug])).toEqual([
      [a, "ok"],
      [broken, null],
    ]);
  });
});

function outcome(org: string, status: OrgStatus, extra: Partial<OrgOutcome> = {}): OrgOutcome {
  return {
    org,
    file: `${org}.yaml`,
    status,
    target: null,
    errors: [],
    counts: { ...ZERO_COUNTS },
    wallet: null,
    ...extra,
  };
}

describe("aggregation", () => {
  it("exit codes: 1 if any org errored, else 2 for changes (detailed), drift or blocked, else 0", () => {
    const ok = outcome("a", "in_sync");
    expect(fleetExitCode("plan", [ok, outcome("b", "changes")])).toBe(0);
    expect(fleetExitCode("plan", [ok, outcome("b", "changes")], { detailedExitcode: true })).toBe(2);
    expect(fleetExitCode("plan", [ok, ok], { detailedExitcode: true })).toBe(0);
    expect(
      fleetExitCode("plan", [outcome("b", "changes"), outcome("c", "error")], { detailedExitcode: true }),
    ).toBe(1);
    expect(fleetExitCode("drift", [ok, outcome("b", "drift")])).toBe(2);
    expect(fleetExitCode("drift", [outcome("b", "drift"), outcome("c", "error")])).toBe(1);
    expect(fleetExitCode("drift", [ok])).toBe(0);
    expect(fleetExitCode("apply", [outcome("b", "applied"), ok])).toBe(0);
    expect(fleetExitCode("apply", [outcome("b", "applied"), outcome("c", "blocked")])).toBe(2);
    expect(fleetExitCode("apply", [outcome("c", "blocked"), outcome("d", "interrupted")])).toBe(130);
    expect(fleetExitCode("apply", [outcome("d", "interrupted"), outcome("e", "error")])).toBe(1);
    expect(fleetExitCode("apply", [])).toBe(0);
  });

  it("worst first: errors, then most destructive, most changes, most money; then by name", () => {
    const counts = (create: number, destructive = 0) => ({
      ...ZERO_COUNTS,
      create,
      delete: destructive,
      destructive,
    });
    const wallet = (charges: number) => ({
      before_cents: 0,
      after_cents: -charges,
      charges_cents: charges,
      refunds_cents: 0,
    });
    const list = [
      outcome("quiet", "in_sync"),
      outcome("cheap", "changes", { counts: counts(3), wallet: wallet(100) }),
      outcome("dear", "changes", { counts: counts(3), wallet: wallet(900) }),
      outcome("many", "changes", { counts: counts(9) }),
      outcome("deletes", "changes", { counts: counts(1, 1) }),
      outcome("z-broken", "error"),
      outcome("a-broken", "error"),
    ];
    expect([...list].sort(worstFirst).map((o) => o.org)).toEqual([
      "a-broken",
      "z-broken",
      "deletes",
      "many",
      "dear",
      "cheap",
      "quiet",
    ]);
  });

  it("totals add up counts and wallet changes over the orgs whose wallet was read", () => {
    const totals = fleetTotals([
      outcome("a", "changes", {
        counts: { ...ZERO_COUNTS, create: 2 },
        wallet: { before_cents: 1000, after_cents: 800, charges_cents: 250, refunds_cents: 50 },
      }),
      outcome("b", "changes", {
        counts: { ...ZERO_COUNTS, delete: 1, destructive: 1 },
        wallet: { before_cents: 500, after_cents: 600, charges_cents: 0, refunds_cents: 100 },
      }),
      outcome("c", "error"),
    ]);
    expect(totals).toEqual({
      orgs: 3,
      by_status: { changes: 2, error: 1 },
      counts: { ...ZERO_COUNTS, create: 2, delete: 1, destructive: 1 },
      wallet: { change_cents: -100, charges_cents: 250, refunds_cents: 150 },
    });
  });
});
