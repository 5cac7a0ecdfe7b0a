/**
 * Hostile inputs, with resource bounds.
 *
 * org.yaml: every file runs through the built CLI under `node --max-old-space-size=512` (a memory bound: the
 * process must not die of OOM) with a hard kill after 10 s (a hang is a failure), for both `validate` and
 * `plan`; each must exit 1 with a located `file:line:col code: message` error and no stack trace. The plain
 * located-error checks without bounds are in validate.e2e.test.ts; this file adds the bounds, `plan`, and
 * inputs that file does not have (a deep alias bomb, 1e400, overlong UTF-8, a document with many nodes).
 *
 * The API: each hostile request gets a 4xx with a JSON error code, the server keeps answering
 * `GET /v1/healthz`, and nothing is written (revision, wallet, users, groups, ledger unchanged; the SQLite
 * file passes `checkConsistency()`). Left out because protocol.test.ts has exactly them: the malformed body
 * `{"name": "g",`, the 1 KiB body limit (declared and chunked), `/v1/nope`, `/v2/users`, `PUT /v1/org`,
 * unknown body fields, Idempotency-Keys of 201 and 300 characters, with a space or a tab, and the If-Match
 * values `yesterday` and `"12abc"`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleStore } from "../../src/console/store.js";
import { newUser } from "../console/helpers.js";
import { CLI, ensureBuilt, hasStackTrace } from "../support/cli.js";
import { type ApiResponse, OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";

// orgctl refuses files of more than 300,000 YAML values before parsing (MAX_YAML_NODES); what it does parse
// fits in 512 MB (a 10,000-user org.yaml needs about 260 MB).
const HEAP_MB = 512;
const KILL_AFTER_MS = 10_000;

interface BoundedResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  ms: number;
  stdout: string;
  stderr: string;
}

/** process.env without ORGCTL_* and with NO_COLOR, as in support/cli.ts. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.toUpperCase().startsWith("ORGCTL_")) continue;
    env[key] = value;
  }
  delete env.FORCE_COLOR;
  env.NO_COLOR = "1";
  return env;
}

/** `node --max-old-space-size=512 dist/cmd/orgctl.js ...args`, SIGKILLed after 10 s. */
function runBounded(args: string[], cwd: string): Promise<BoundedResult> {
  ensureBuilt();
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, CLI, ...args], {
      cwd,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, KILL_AFTER_MS);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        killed,
        ms: Date.now() - started,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
  });
}

// --- hostile org.yaml files -----------------------------------------------------------------------------

/** Lines 1-4 header, 5 `users:`, 6-12 the owner; a line appended to the owner is line 13. */
const HEADER = `version: 1
organization:
  name: Example Org
  plan: pro
users:
  - login: admin
    first_name: Org
    last_name: Owner
    email: admin@console.test
    plan: pro
    role: org_admin
    owner: true
`;

const LITERAL_PASSWORD = "Sup3r-Literal-Hostile-4711";

function aliasBomb(levels: number, width: number): string {
  const lines = ["version: 1", "organization:", "  name: Example Org", "bomb:"];
  lines.push(`  a0: &a0 [${Array(width).fill("lol").join(",")}]`);
  for (let i = 1; i <= levels; i++)
    lines.push(
      `  a${i}: &a${i} [${Array(width)
        .fill(`*a${i - 1}`)
        .join(",")}]`,
    );
  return `${lines.join("\n")}\n`;
}

function overlongUtf8(): Buffer {
  // `    last_name: Ow` is 17 characters; then by the overlong encoding of "/" (C0 AF), which UTF-8 forbids.
  const bytes = Buffer.from(HEADER.replace("last_name: Owner", "last_name: Ow@@er"), "utf8");
  const at = bytes.indexOf("@@");
  bytes[at] = 0xc0;
  bytes[at + 1] = 0xaf;
  return bytes;
}

interface FileCase {
  name: string;
  content: () => string | Uint8Array;
  /** The error expected at line:col with this code; null: any located error (the fix may choose one). */
  want: { line: number; col: number; code: string } | null;
  /** Must not appear in any output. */
  secret?: string;
}

const FILE_CASES: FileCase[] = [
  {
    name: "malformed YAML (unclosed flow sequence)",
    content: () => "version: 1\norganization:\n  name: [unclosed\n  plan: pro\n",
    want: { line: 4, col: 3, code: "yaml_syntax" },
  },
  {
    name: "a duplicate key inside a user",
    content: () => HEADER.replace("    plan: pro\n    role", "    plan: pro\n    plan: entry\n    role"),
    want: { line: 11, col: 5, code: "duplicate_key" },
  },
  {
    name: "a list where a string belongs",
    content: () => HEADER.replace("first_name: Org", "first_name: [Org]"),
    want: { line: 7, col: 17, code: "wrong_type" },
  },
  {
    name: "an unknown field",
    content: () => `${HEADER}    favourite_colour: blue\n`,
    want: { line: 13, col: 5, code: "unknown_field" },
  },
  {
    name: "a deep billion-laughs alias bomb (10^31 nodes)",
    content: () => aliasBomb(30, 10),
    want: { line: 1, col: 1, code: "alias_bomb" },
  },
  {
    name: "a 10 MB file",
    content: () => HEADER + `# ${"x".repeat(1022)}\n`.repeat(10 * 1024),
    want: { line: 1, col: 1, code: "file_too_large" },
  },
  {
    name: "invalid UTF-8 (an overlong encoding)",
    content: overlongUtf8,
    want: { line: 8, col: 18, code: "invalid_utf8" },
  },
  {
    name: "1e400 (Infinity) as a number",
    content: () => `${HEADER}policy:\n  min_balance_cents: 1e400\n`,
    want: { line: 14, col: 22, code: "invalid_value" },
  },
  {
    name: "99999999999999999999999 as the version",
    content: () => HEADER.replace("version: 1", "version: 99999999999999999999999"),
    want: { line: 1, col: 10, code: "invalid_value" },
  },
  {
    name: "a plain-text password",
    content: () => `${HEADER}    password: ${LITERAL_PASSWORD}\n`,
    want: { line: 13, col: 15, code: "password_literal" },
    secret: LITERAL_PASSWORD,
  },
  {
    name: "100 000 levels of nested flow sequences",
    content: () => `${HEADER}    profile: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`,
    want: { line: 1, col: 1, code: "too_deep" },
  },
  {
    // 1.2 MB, far under the byte limit, but 200 000 YAML nodes: the parsed document must fit the heap.
    name: "200 000 list items under an unknown key (1.2 MB)",
    content: () => `${HEADER}bomb:\n${"  - 1\n".repeat(200_000)}`,
    want: null,
  },
  {
    // 2.4 MB: more values than orgctl reads at all; refused before parsing.
    name: "400 000 list items (over the value limit)",
    content: () => `${HEADER}bomb:\n${"  - 1\n".repeat(400_000)}`,
    want: { line: 1, col: 1, code: "file_too_large" },
  },
];

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function writeCase(c: FileCase): string {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-hostile-"));
  dirs.push(dir);
  writeFileSync(join(dir, "org.yaml"), c.content());
  return dir;
}

const LOCATED = /^org\.yaml:(\d+):(\d+) ([a-z0-9_]+): \S.*$/;

/** Exit 1 within the bounds, the located error, no stack trace; returns the first located error line. */
function expectBoundedLocatedError(result: BoundedResult, c: FileCase): string {
  const context = `stderr:\n${result.stderr.slice(0, 2000)}\nstdout:\n${result.stdout.slice(0, 500)}`;
  expect(result.killed, `still running after ${KILL_AFTER_MS} ms (a hang)\n${context}`).toBe(false);
  expect(result.stderr, "ran out of memory").not.toMatch(/heap out of memory|Allocation failed/i);
  expect({ code: result.code, signal: result.signal }, context).toEqual({ code: 1, signal: null });
  expect(hasStackTrace(result.stderr), context).toBe(false);
  expect(hasStackTrace(result.stdout), context).toBe(false);
  expect(result.stderr, context).not.toContain("orgctl: internal:");
  const located = result.stderr.split("\n").filter((line) => LOCATED.test(line));
  expect(located.length, context).toBeGreaterThan(0);
  if (c.want) {
    const prefix = `org.yaml:${c.want.line}:${c.want.col} ${c.want.code}: `;
    expect(
      located.some((line) => line.startsWith(prefix)),
      `want ${prefix}... in\n${context}`,
    ).toBe(true);
  }
  if (c.secret) {
    expect(result.stderr).not.toContain(c.secret);
    expect(result.stdout).not.toContain(c.secret);
  }
  return located[0]!;
}

describe(`hostile org.yaml under a ${HEAP_MB} MB heap and a ${KILL_AFTER_MS / 1000} s kill`, () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it("the bounded runner accepts a valid file (exit 0), so the failures below are the files'", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orgctl-hostile-"));
    dirs.push(dir);
    writeFileSync(join(dir, "org.yaml"), HEADER);
    const result = await runBounded(["validate", "-f", "org.yaml"], dir);
    expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 0, signal: null });
    expect(result.stdout).toContain("org.yaml is valid");
  });

  it.each(FILE_CASES)("validate: $name", { timeout: 30_000 }, async (c) => {
    const dir = writeCase(c);
    const result = await runBounded(["validate", "-f", "org.yaml"], dir);
    expectBoundedLocatedError(result, c);
    expect(result.stdout).not.toContain("is valid");
  });

  it.each(FILE_CASES)("plan (embedded sandbox): $name", { timeout: 60_000 }, async (c) => {
    const dir = writeCase(c);
    const validated = await runBounded(["validate", "-f", "org.yaml"], dir);
    const planned = await runBounded(["plan", "-f", "org.yaml", "--sandbox", "sandbox.db"], dir);
    const first = expectBoundedLocatedError(planned, c);
    // The same error as validate reports.
    if (validated.code === 1) expect(validated.stderr).toContain(first);
    expect(planned.stdout).not.toMatch(/^Plan: /m);
  });
});

// --- hostile API requests --------------------------------------------------------------------------------

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: any;
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Sends bytes as they are (fetch and node:http refuse control characters in headers) and reads the answer
 * until the server closes the connection.
 */
function rawRequest(port: number, head: string | Buffer, body = ""): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error("no answer within 10 s")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf("\r\n\r\n");
      if (split < 0) {
        reject(new Error(`not an HTTP response: ${JSON.stringify(all.toString("latin1"))}`));
        return;
      }
      const [statusLine, ...headerLines] = all.subarray(0, split).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let payload: Buffer = all.subarray(split + 4);
      if (/chunked/i.test(headers["transfer-encoding"] ?? "")) payload = dechunk(payload);
      const text = payload.toString("utf8");
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      resolve({ status: Number(statusLine!.split(" ")[1]), headers, text, body });
    });
    socket.end(
      Buffer.concat([typeof head === "string" ? Buffer.from(head, "latin1") : head, Buffer.from(body)]),
    );
  });
}

/** A POST /v1/groups request with one extra header line whose value is given as raw bytes. */
function groupPostWithHeader(name: string, value: Buffer): Buffer {
  const body = '{"name":"hostile"}';
  return Buffer.concat([
    Buffer.from(
      `POST /v1/groups HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${OWNER_TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n${name}: `,
      "latin1",
    ),
    value,
    Buffer.from(`\r\n\r\n${body}`, "latin1"),
  ]);
}

interface Snapshot {
  revision: number;
  balance: number;
  users: number;
  groups: number;
  ledger: number;
}

describe("hostile API requests: 4xx with a JSON code, the server stays up, nothing is written", () => {
  let ts: TestConsole;
  let dir: string;
  let before: Snapshot;
  let cases = 0;
  let closed = false;

  async function snapshot(): Promise<Snapshot> {
    const org = await ts.api("GET", "/v1/org");
    const wallet = await ts.api("GET", "/v1/wallet");
    const users = await ts.api("GET", "/v1/users?limit=1000");
    const groups = await ts.api("GET", "/v1/groups?limit=1000");
    const ledger = await ts.api("GET", "/v1/wallet/ledger?limit=1000");
    for (const res of [org, wallet, users, groups, ledger]) expect(res.status).toBe(200);
    return {
      revision: org.body.revision,
      balance: wallet.body.balance_cents,
      users: users.body.items.length,
      groups: groups.body.items.length,
      ledger: ledger.body.items.length,
    };
  }

  /** 4xx, a JSON `{"error":{"code":...}}` (the wanted code when given), and the server still answers. */
  async function expectRefused(res: ApiResponse | RawResponse, status: number, code: string): Promise<void> {
    cases += 1;
    const shown = JSON.stringify(res.body).slice(0, 500);
    expect(res.status, shown).toBeGreaterThanOrEqual(400);
    expect(res.status, shown).toBeLessThan(500);
    expect(typeof res.body, shown).toBe("object");
    expect(res.body?.error?.code, shown).toMatch(/^[a-z_]+$/);
    expect({ status: res.status, code: res.body.error.code }, shown).toEqual({ status, code });
    expect(shown).not.toMatch(/\bat .*\.(ts|js):\d+/);
    const health = await ts.api("GET", "/v1/healthz", undefined, { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: "ok" });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orgctl-hostile-api-"));
    // Default body limit (1 MiB): protocol.test.ts already covers a lowered one.
    ts = await startTestConsole({ dir });
    expect((await ts.api("POST", "/v1/groups", { name: "staff" })).status).toBe(201);
    expect((await ts.api("POST", "/v1/users", newUser("bob"))).status).toBe(201);
    before = await snapshot();
  });
  afterAll(async () => {
    if (!closed) await ts?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("malformed JSON bodies (400 invalid)", async () => {
    const bodies = [
      '\ufeff{"name":"g1"}', // a byte-order mark
      "{'name':'g1'}", // single quotes
      '{"name":"g1",}', // trailing comma
      '{"name":"g1"', // truncated
      '{"name":"g1"}{"name":"g2"}', // two documents
      "NaN",
      "{\u0000}",
    ];
    for (const body of bodies) await expectRefused(await ts.api("POST", "/v1/groups", body), 400, "invalid");
    // Through another route than groups, with a password in it: not echoed.
    const res = await ts.api("POST", "/v1/users", '{"login":"eve","password":Hostile-Pass-99}');
    await expectRefused(res, 400, "invalid");
    expect(JSON.stringify(res.body)).not.toContain("Hostile-Pass");
  });

  it("bodies over the default 1 MiB limit (413), declared and chunked", async () => {
    const big = `{"name":"g1","description":"${"x".repeat(1024 * 1024)}"}`;
    await expectRefused(await ts.api("POST", "/v1/groups", big), 413, "payload_too_large");
    const chunked = await fetch(`${ts.url}/v1/groups`, {
      method: "POST",
      headers: { authorization: `Bearer ${OWNER_TOKEN}`, "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          const piece = new TextEncoder().encode("x".repeat(256 * 1024));
          controller.enqueue(new TextEncoder().encode('{"name":"g1","description":"'));
          for (let i = 0; i < 12; i++) controller.enqueue(piece);
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    // The unread rest of the body makes the connection unusable: the server closes it rather than letting
    // the client send its next requests into it (they used to hang, then fail with ECONNRESET).
    expect(chunked.headers.get("connection")).toBe("close");
    await expectRefused(
      { status: chunked.status, headers: {}, text: "", body: await chunked.json() },
      413,
      "payload_too_large",
    );
    for (let i = 0; i < 5; i++)
      await expectRefused(await ts.api("POST", "/v1/groups", "null"), 400, "invalid");
    // A lying Content-Length bigger than the limit is refused before reading.
    const lying = await rawRequest(
      ts.running.port,
      `POST /v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${OWNER_TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n`,
      '{"name":"g1"}',
    );
    await expectRefused(lying, 413, "payload_too_large");
  });

  it("values of the wrong type, huge numbers and non-objects (400 invalid)", async () => {
    const requests: Array<[string, string, string]> = [
      ["POST", "/v1/groups", "null"],
      ["POST", "/v1/groups", '"staff"'],
      ["POST", "/v1/groups", "42"],
      ["POST", "/v1/groups", `{"name":"g1","description":${"[".repeat(100_000)}${"]".repeat(100_000)}}`],
      ["POST", "/v1/groups", '{"__proto__":{"admin":true},"name":"g1"}'],
      ["POST", "/v1/wallet/top-ups", '{"amount_cents":"5000","method":"test"}'],
      ["POST", "/v1/wallet/top-ups", '{"amount_cents":1e400,"method":"test"}'],
      ["POST", "/v1/wallet/top-ups", '{"amount_cents":99999999999999999999999,"method":"test"}'],
      ["POST", "/v1/wallet/top-ups", '{"amount_cents":50.5,"method":"test"}'],
      ["POST", "/v1/wallet/top-ups", '{"amount_cents":-5000,"method":"test"}'],
      [
        "POST",
        "/v1/users",
        '{"login":42,"email":"x@console.test","first_name":"a","last_name":"b","plan":"free","role":"member"}',
      ],
      [
        "POST",
        "/v1/users",
        '{"login":"x","email":"x@console.test","first_name":"a","last_name":"b","plan":["free"],"role":"root"}',
      ],
      ["PUT", "/v1/users/bob/plan", '{"plan":null}'],
      ["PUT", "/v1/users/bob/role", '{"role":{"$ne":"member"}}'],
      ["POST", "/v1/users/bulk", '{"action":"delete","logins":"bob"}'],
      ["PATCH", "/v1/org", '{"name":123}'],
      ["POST", "/v1/lock", '{"holder":"x","ttl_seconds":"60"}'],
      ["POST", "/v1/tokens", '{"login":["admin"]}'],
    ];
    for (const [method, path, body] of requests) {
      await expectRefused(await ts.api(method, path, body), 400, "invalid");
    }
    await expectRefused(await ts.api("GET", "/v1/users?limit=1e400"), 400, "invalid");
    await expectRefused(await ts.api("GET", "/v1/wallet?days=99999999999999999999"), 400, "invalid");
  });

  it("unknown routes (404) and methods (405)", async () => {
    await expectRefused(await ts.api("GET", "/v1/users/bob/extra/deep"), 404, "not_found");
    await expectRefused(await ts.api("GET", "/V1/USERS"), 404, "not_found");
    await expectRefused(await ts.api("GET", `/v1/${"a".repeat(8000)}`), 404, "not_found");
    await expectRefused(await ts.api("GET", "/v1/users/..%2F..%2Fetc%2Fpasswd"), 404, "not_found");
    await expectRefused(await ts.api("DELETE", "/v1/healthz"), 405, "method_not_allowed");
    // As sent, not normalized by a client: dot segments resolve like a URL, but never around authentication.
    const raw = (path: string, auth: boolean) =>
      rawRequest(
        ts.running.port,
        `GET ${path} HTTP/1.1\r\nHost: x\r\n${auth ? `Authorization: Bearer ${OWNER_TOKEN}\r\n` : ""}Connection: close\r\n\r\n`,
      );
    await expectRefused(await raw("//v1//users", true), 404, "not_found");
    await expectRefused(await raw("/v1/healthz/..%2Fusers", false), 404, "not_found");
    await expectRefused(await raw("/v1/healthz/../users", false), 401, "unauthenticated");
    await expectRefused(await raw("/v1/healthz/%2E%2E/users", false), 401, "unauthenticated");
  });

  it("garbage Idempotency-Keys: control characters and non-ASCII (400 invalid)", async () => {
    const values = [
      Buffer.from("key\u0001one", "latin1"),
      Buffer.from("key\u001bone", "latin1"),
      Buffer.from("key\u007fone", "latin1"),
      Buffer.from("key\u0000one", "latin1"),
      Buffer.from("clé-🔑-1", "utf8"),
      Buffer.from("Ünïcödé", "latin1"),
    ];
    for (const value of values) {
      const res = await rawRequest(ts.running.port, groupPostWithHeader("Idempotency-Key", value));
      await expectRefused(res, 400, "invalid");
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
    }
    // The same through fetch for the visible ones it can send.
    await expectRefused(
      await ts.api("POST", "/v1/groups", { name: "g1" }, { headers: { "idempotency-key": "Ünïcödé" } }),
      400,
      "invalid",
    );
  });

  it('garbage If-Match: "abc", W/, a 20-digit number, half-quoted (400 invalid)', async () => {
    for (const value of ['"abc"', "W/", "12345678901234567890", 'W/"12345678901234567890"', '"1', "-1"]) {
      const res = await ts.api("POST", "/v1/groups", { name: "g1" }, { headers: { "if-match": value } });
      await expectRefused(res, 400, "invalid");
      expect(res.body.error.details).toEqual({ if_match: value });
    }
    const res = await rawRequest(ts.running.port, groupPostWithHeader("If-Match", Buffer.from('"4\u00012"')));
    await expectRefused(res, 400, "invalid");
  });

  it("garbage request framing gets a JSON 4xx too", async () => {
    const huge = await rawRequest(
      ts.running.port,
      `GET /v1/org HTTP/1.1\r\nHost: x\r\nX-Filler: ${"y".repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
    );
    await expectRefused(huge, 431, "invalid");
    const nonsense = await rawRequest(ts.running.port, "HELLO THERE\r\n\r\n");
    await expectRefused(nonsense, 400, "invalid");
  });

  it("left the console as it was, consistent on disk", async () => {
    expect(cases).toBeGreaterThan(40);
    expect(await snapshot()).toEqual(before);
    await ts.close();
    closed = true;
    const store = new ConsoleStore(ts.dbPath);
    try {
      expect(store.checkConsistency()).toEqual([]);
      const counts = store.db
        .prepare(
          "SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM groups) AS groups, (SELECT COUNT(*) FROM ledger) AS ledger, (SELECT balance_cents FROM wallet WHERE org_id = 1) AS balance",
        )
        .get();
      expect(counts).toEqual({
        users: before.users,
        groups: before.groups,
        ledger: before.ledger,
        balance: before.balance,
      });
    } finally {
      store.close();
    }
  });
});
