/**
 * A saved plan file is hostile input: `orgctl apply PLANFILE` sends what it holds with the user's token. Each
 * tampered copy of a real plan is refused, exit 1, naming the step and what is wrong, and NOTHING reaches
 * the console: the CLI talks to it through a recording proxy that sees no request at all, and the console's
 * revision and ledger do not move. The untampered plan then applies through the same proxy.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan, PlanStep } from "../../src/plan/model.js";
import { hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole, type TestConsole } from "../support/console.js";

const PASSWORD = "Tamper-Proof-Secret-9137";

const ORG_YAML = `version: 1
organization:
  name: Example Org
  plan: pro
groups:
  - name: staff
users:
${OWNER_USER_YAML}  - login: erin
    first_name: Erin
    last_name: Moss
    email: erin@console.test
    plan: entry
    role: org_admin
    groups: [staff]
    aliases: [erin.moss@console.test]
    password: {env: ERIN_PASSWORD}
  - login: frank
    first_name: Frank
    last_name: Lee
    email: frank@console.test
    plan: entry
    groups: [staff]
    aliases: [frank.lee@console.test]
`;

interface Proxy {
  url: string;
  /** `METHOD path` of every request that arrived. */
  seen: string[];
  close(): Promise<void>;
}

/** Forwards everything to `target` and records what passed. */
async function recordingProxy(target: string): Promise<Proxy> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const out = httpRequest(
      `${target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
      (upstream) => {
        res.writeHead(upstream.statusCode!, upstream.headers);
        upstream.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Tamper = (plan: Plan, step: (action: PlanStep["action"]) => PlanStep) => void;

interface Case {
  name: string;
  tamper: Tamper;
  /** The action of the step named in the error, or null for a problem outside the steps. */
  stepAction: PlanStep["action"] | null;
  says: RegExp;
}

/** The step's operation, as a record a tamperer can write anything into. */
const opOf = (step: PlanStep) => step.operation as unknown as Record<string, unknown>;

const CASES: Case[] = [
  {
    name: "an operation the planner never makes (top_up)",
    tamper: (_p, step) => {
      const s = step("create_group");
      s.operation = { op: "top_up", amount_cents: 1, method: "test" } as never;
    },
    stepAction: "create_group",
    says: /operation\/op: must be one of/,
  },
  {
    name: "an unknown operation",
    tamper: (_p, step) => {
      opOf(step("add_member")).op = "grant_owner";
    },
    stepAction: "add_member",
    says: /operation\/op: must be one of/,
  },
  {
    name: "a create_user with a field the operation does not have (owner: true)",
    tamper: (_p, step) => {
      (opOf(step("create_user")).user as Record<string, unknown>).owner = true;
    },
    stepAction: "create_user",
    says: /operation\/user\/owner: is not a field of an orgctl plan/,
  },
  {
    name: "a path-like login (../admin)",
    tamper: (_p, step) => {
      opOf(step("add_member")).login = "../admin";
    },
    stepAction: "add_member",
    says: /operation\/login: is not in the form orgctl writes/,
  },
  {
    name: "an encoded path in an address (a/b%2F..)",
    tamper: (_p, step) => {
      opOf(step("add_alias")).address = "x@console.test/../../v1/org";
    },
    stepAction: "add_alias",
    says: /operation\/address: is not in the form orgctl writes/,
  },
  {
    name: "a membership pointed at another user (admin)",
    tamper: (_p, step) => {
      opOf(step("add_member")).login = "admin";
    },
    stepAction: "add_member",
    says: /key: the step is about "staff\/frank" but its operation is about "staff\/admin"/,
  },
  {
    name: "a role smuggled into a membership",
    tamper: (_p, step) => {
      opOf(step("add_member")).role = "org_admin";
    },
    stepAction: "add_member",
    says: /operation\/role: is not a field of an orgctl plan/,
  },
  {
    name: "an action that is not the operation's",
    tamper: (_p, step) => {
      step("create_group").action = "delete_group";
    },
    stepAction: "create_group",
    says: /action: is delete_group, but the operation is create_group/,
  },
  {
    name: "a secret written into the operation",
    tamper: (_p, step) => {
      (opOf(step("create_user")).user as Record<string, unknown>).password = "hunter2-literal";
    },
    stepAction: "create_user",
    says: /operation\/user\/password: is not a field of an orgctl plan/,
  },
  {
    name: "a secret reference added to a step that never has one",
    tamper: (_p, step) => {
      step("create_group").secret = { file: "/etc/shadow", rotation: null };
    },
    stepAction: "create_group",
    says: /secret: a create_group step never carries a secret/,
  },
  {
    name: "a password read from another file than org.yaml says",
    tamper: (_p, step) => {
      step("create_user").secret = { file: "/etc/hostname", rotation: null };
    },
    stepAction: "create_user",
    says: /secret: is not the password reference org\.yaml gives erin/,
  },
  {
    name: "a dependency on a step that does not exist",
    tamper: (_p, step) => {
      step("create_group").depends_on = ["user/ghost:create_user"];
    },
    stepAction: "create_group",
    says: /depends on "user\/ghost:create_user", which is not an earlier step/,
  },
  {
    name: "a field orgctl never writes, at the top",
    tamper: (plan) => {
      (plan as unknown as Record<string, unknown>).endpoint = "http://attacker.example";
    },
    stepAction: null,
    says: /\/endpoint: is not a field of an orgctl plan/,
  },
];

describe("orgctl apply PLANFILE refuses a tampered plan and sends nothing", { timeout: 300_000 }, () => {
  let ts: TestConsole;
  let proxy: Proxy;
  let dir: string;
  let original: Plan;

  const env = { ORGCTL_TOKEN: OWNER_TOKEN, ERIN_PASSWORD: PASSWORD };
  const state = async () => ({
    revision: (await ts.api("GET", "/v1/org")).body.revision as number,
    ledger: JSON.stringify((await ts.api("GET", "/v1/wallet/ledger?limit=1000")).body.items),
    // The newest audit entry: a request that reached the console, refused or not, would be recorded.
    audit: JSON.stringify((await ts.api("GET", "/v1/audit?limit=1")).body.items),
  });

  beforeAll(async () => {
    ts = await startTestConsole();
    // frank exists already: his new alias and group are steps of their own (erin gets hers at creation).
    const frank = await ts.api("POST", "/v1/users", {
      login: "frank",
      email: "frank@console.test",
      first_name: "Frank",
      last_name: "Lee",
      plan: "entry",
      role: "member",
    });
    expect(frank.status, JSON.stringify(frank.body)).toBe(201);
    proxy = await recordingProxy(ts.url);
    dir = mkdtempSync(join(tmpdir(), "orgctl-plan-file-"));
    writeFileSync(join(dir, "org.yaml"), ORG_YAML);
    // Made through the proxy too: a plan applies only to the console it was made against.
    const made = await runCli(["plan", "-f", "org.yaml", "--out", "plan.json", "--endpoint", proxy.url], {
      cwd: dir,
      env,
    });
    expect(made.code, made.stderr).toBe(0);
    original = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan;
  });
  afterAll(async () => {
    await proxy?.close();
    await ts?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("starts from a real plan with every kind of step the cases tamper with", () => {
    const actions = new Set(original.steps.map((s) => s.action));
    for (const action of ["create_group", "create_user", "add_alias", "add_member"] as const) {
      expect(actions, JSON.stringify([...actions])).toContain(action);
    }
    expect(original.format_version).toBe(2);
    expect(original.steps.find((s) => s.action === "create_user")?.secret).toEqual({
      env: "ERIN_PASSWORD",
      rotation: null,
    });
    // No HTTP in a plan: each step is its operation.
    for (const step of original.steps) {
      expect(step.operation.op).toBe(step.action);
      expect(Object.keys(step)).not.toContain("request");
    }
    expect(readFileSync(join(dir, "plan.json"), "utf8")).not.toMatch(/"\/v1|"method"|"path"/);
  });

  it("refuses a format 1 plan with the fix (plan again), and sends nothing", async () => {
    const plan = { ...structuredClone(original), format_version: 1 };
    writeFileSync(join(dir, "old.json"), JSON.stringify(plan, null, 2));
    const before = await state();
    const seenBefore = proxy.seen.length;
    const result = await runCli(["apply", "old.json", "--endpoint", proxy.url], { cwd: dir, env });
    const context = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    expect(result.code, context).toBe(1);
    expect(result.stderr, context).toContain("orgctl: plan_format_old: old.json is a format 1 plan");
    expect(result.stderr, context).toContain("run orgctl plan --out again");
    expect(proxy.seen.slice(seenBefore)).toEqual([]);
    expect(await state()).toEqual(before);
  });

  it.each(CASES)("$name: exit 1, the step named, nothing sent", async (c) => {
    const plan = structuredClone(original);
    const step = (action: PlanStep["action"]) => {
      const found = plan.steps.find((s) => s.action === action);
      if (!found) throw new Error(`the plan has no ${action} step`);
      return found;
    };
    const target = c.stepAction ? step(c.stepAction) : null;
    c.tamper(plan, step);
    writeFileSync(join(dir, "tampered.json"), JSON.stringify(plan, null, 2));
    const before = await state();
    const seenBefore = proxy.seen.length;

    const result = await runCli(["apply", "tampered.json", "--endpoint", proxy.url], { cwd: dir, env });

    const context = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    expect(result.code, context).toBe(1);
    expect(result.stderr, context).toContain("orgctl: invalid_plan: tampered.json is not a plan orgctl made");
    expect(result.stderr, context).toContain("nothing was sent");
    expect(result.stderr, context).toMatch(c.says);
    if (target) {
      const position = plan.steps.indexOf(target) + 1;
      expect(result.stderr, context).toContain(`step ${position} (${target.id})`);
    }
    expect(hasStackTrace(result.stderr), context).toBe(false);
    for (const secret of [PASSWORD, "hunter2-literal", OWNER_TOKEN]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
    expect(proxy.seen.slice(seenBefore), "requests that reached the console").toEqual([]);
    expect(await state()).toEqual(before);
  });

  it("the untampered plan applies through the same proxy", async () => {
    const before = await state();
    const result = await runCli(["apply", "plan.json", "--endpoint", proxy.url], { cwd: dir, env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect((await state()).revision).toBeGreaterThan(before.revision);
    expect(proxy.seen.some((line) => line.startsWith("POST /v1/users"))).toBe(true);
    const erin = await ts.api("GET", "/v1/users/erin");
    expect(erin.body).toMatchObject({ role: "org_admin", password_set: true, groups: ["staff"] });
    const frank = await ts.api("GET", "/v1/users/frank");
    expect(frank.body).toMatchObject({ aliases: ["frank.lee@console.test"], groups: ["staff"] });
  });
});
