/**
 * ink and react are loaded only for the TUI, and start-up stays light.
 *
 * (a) Statically: outside src/render/ink, no file imports "ink" or "react" (or a subpath), nor statically
 *     imports src/render/ink; only src/cli/apply-run.ts imports src/render/ink, and only with `await import`.
 * (b) At run time: the built CLI runs under `node --import PRELOAD`, where PRELOAD registers a resolve hook
 *     (node:module `register`) that records every ESM resolution, and wraps the CommonJS resolver so that
 *     `require()` calls (which Node 20's ESM hooks do not see) are recorded too. The CLI is bundled
 *     (scripts/bundle.mjs): a chunk it loads counts as loading every module the chunk holds, as listed in
 *     dist/cmd/bundle-modules.json. Each command's packages and
 *     orgctl modules are pinned: `--version` loads no package; `validate` neither the console, the client,
 *     SQLite nor the TUI; a sandbox plan reads over node:http without undici; a plan over HTTP loads undici
 *     and not SQLite.
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ensureBuilt, REPO_ROOT } from "../support/cli.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole } from "../support/console.js";

// --- (a) static ------------------------------------------------------------------------------------------

interface ImportRef {
  specifier: string;
  dynamic: boolean;
  typeOnly: boolean;
}

/** The module specifiers a TypeScript source imports or re-exports, comments removed. */
function importsOf(source: string): ImportRef[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const refs: ImportRef[] = [];
  // import x from "m"; import { a, b } from "m"; import type { T } from "m"; export { a } from "m"; export * from "m"
  const fromClause = /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/g;
  for (const match of code.matchAll(fromClause)) {
    const clause = match[3]!;
    const typeOnly =
      Boolean(match[2]) || (/^\{[\s\S]*\}$/.test(clause.trim()) && inlineTypesOnly(clause.trim()));
    refs.push({ specifier: match[4]!, dynamic: false, typeOnly });
  }
  // import "m";  (side effects)
  for (const match of code.matchAll(/(?:^|[;\n])\s*import\s*["']([^"']+)["']/g)) {
    refs.push({ specifier: match[1]!, dynamic: false, typeOnly: false });
  }
  // import("m"), await import("m")
  for (const match of code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)) {
    refs.push({ specifier: match[1]!, dynamic: true, typeOnly: false });
  }
  // require("m")
  for (const match of code.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g)) {
    refs.push({ specifier: match[1]!, dynamic: false, typeOnly: false });
  }
  return refs;
}

/** `{ type A, type B }`: every named import is marked `type`, so the import is erased. */
function inlineTypesOnly(braces: string): boolean {
  const names = braces
    .slice(1, -1)
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith("type "));
}

const isTuiPackage = (specifier: string) => /^(ink|react)(\/|$)/.test(specifier);
const isInkRenderer = (specifier: string) => /(^|\/)render\/ink(\/|$)/.test(specifier);

function sourceFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((name) => /\.(ts|tsx|mts|cts)$/.test(name) && !name.endsWith(".d.ts"))
    .map((name) => join(root, name));
}

describe("ink and react: static imports", () => {
  it("the scanner finds the imports it must find (so that an empty result means something)", () => {
    const sample = [
      'import { render, Box } from "ink";',
      "import React, {",
      "  useState,",
      '} from "react";',
      'import type { Instance } from "ink";',
      'import { type ReactNode } from "react";',
      'export { Text } from "ink";',
      'import "react/jsx-runtime";',
      '// import { Box } from "ink";',
      '/* import x from "react"; */',
      'const { confirmApply } = await import("../render/ink/confirm.js");',
      'import { startProgressView } from "../render/ink/progress.js";',
    ].join("\n");
    expect(importsOf(sample)).toEqual([
      { specifier: "ink", dynamic: false, typeOnly: false },
      { specifier: "react", dynamic: false, typeOnly: false },
      { specifier: "ink", dynamic: false, typeOnly: true },
      { specifier: "react", dynamic: false, typeOnly: true },
      { specifier: "ink", dynamic: false, typeOnly: false },
      { specifier: "../render/ink/progress.js", dynamic: false, typeOnly: false },
      { specifier: "react/jsx-runtime", dynamic: false, typeOnly: false },
      { specifier: "../render/ink/confirm.js", dynamic: true, typeOnly: false },
    ]);
  });

  it("the scanner sees the TUI's own imports of ink and react in src/render/ink", () => {
    const found = sourceFiles(join(REPO_ROOT, "src", "render", "ink")).flatMap((file) =>
      importsOf(readFileSync(file, "utf8")).filter((ref) => isTuiPackage(ref.specifier) && !ref.typeOnly),
    );
    expect(found.map((ref) => ref.specifier)).toEqual(expect.arrayContaining(["ink", "react"]));
  });

  it('no file outside src/render/ink imports "ink" or "react"; only apply-run.ts loads the TUI, lazily', () => {
    const inkDir = join(REPO_ROOT, "src", "render", "ink") + sep;
    const files = [...sourceFiles(join(REPO_ROOT, "src")), ...sourceFiles(join(REPO_ROOT, "cmd"))].filter(
      (file) => !file.startsWith(inkDir),
    );
    expect(files.length).toBeGreaterThan(30);
    const problems: string[] = [];
    const lazyLoaders = new Set<string>();
    for (const file of files) {
      const name = relative(REPO_ROOT, file).split(sep).join("/");
      for (const ref of importsOf(readFileSync(file, "utf8"))) {
        if (ref.typeOnly) continue;
        if (isTuiPackage(ref.specifier))
          problems.push(`${name} imports "${ref.specifier}"${ref.dynamic ? " (dynamic)" : ""}`);
        if (isInkRenderer(ref.specifier)) {
          if (!ref.dynamic) problems.push(`${name} statically imports ${ref.specifier}`);
          else if (name !== "src/cli/apply-run.ts") problems.push(`${name} loads ${ref.specifier}`);
          else lazyLoaders.add(name);
        }
      }
    }
    expect(problems).toEqual([]);
    // The TUI is still reachable: apply-run.ts is where it is loaded.
    expect([...lazyLoaders]).toEqual(["src/cli/apply-run.ts"]);
  });
});

// --- (b) run time ----------------------------------------------------------------------------------------

const HOOKS = `import { appendFileSync } from "node:fs";
let out;
export function initialize(data) {
  out = data.out;
}
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(out, "esm " + result.url + " <- " + (context.parentURL ?? "(entry)") + "\\n");
  return result;
}
`;

const PRELOAD = `import { appendFileSync } from "node:fs";
import Module, { register } from "node:module";
const out = process.env.ORGCTL_TEST_TRACE;
register(new URL("./hooks.mjs", import.meta.url), { data: { out } });
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const file = resolveFilename.call(this, request, parent, ...rest);
  appendFileSync(out, "cjs " + file + " <- " + (parent?.filename ?? "(entry)") + "\\n");
  return file;
};
`;

interface TracedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every resolution: the module (file URL or path, forward slashes) and who asked for it. */
  modules: Array<{ module: string; parent: string }>;
}

let traceDir = "";
let runs = 0;

function traced(
  args: string[],
  cwd: string,
  extraNodeArgs: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<TracedRun> {
  const out = join(traceDir, `trace-${++runs}.txt`);
  writeFileSync(out, "");
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.toUpperCase().startsWith("ORGCTL_")) env[key] = value;
  }
  env.NO_COLOR = "1";
  Object.assign(env, extraEnv);
  env.ORGCTL_TEST_TRACE = out;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", pathToFileURL(join(traceDir, "preload.mjs")).href, ...extraNodeArgs, ...args],
      { cwd, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      const modules = withBundledModules(
        readFileSync(out, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => {
            const [module, parent] = line.slice(4).replaceAll("\\", "/").split(" <- ");
            return { module: module!, parent: parent ?? "" };
          }),
      );
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        modules,
      });
    });
  });
}

/** dist/cmd/bundle-modules.json (scripts/bundle.mjs): the modules each file of the bundled CLI holds. */
const BUNDLE_MANIFEST = join(REPO_ROOT, "dist", "cmd", "bundle-modules.json");
const ROOT_POSIX = REPO_ROOT.split(sep).join("/");

function bundleManifest(): Record<string, string[]> {
  return JSON.parse(readFileSync(BUNDLE_MANIFEST, "utf8")) as Record<string, string[]>;
}

/**
 * The CLI is bundled: a loaded file of dist/cmd/ stands for every module it holds, which are added to the run's
 * modules as where tsc would have put them (`src/cli/validate.ts` as dist/src/cli/validate.js, a bundled
 * package's file as node_modules/NAME/…), asked for by that file. The bundle's files themselves stay in the
 * list (chains of importers go through them) and are left out of ownModulesOf.
 */
function withBundledModules(modules: TracedRun["modules"]): TracedRun["modules"] {
  const manifest = bundleManifest();
  const bundleDir = `${ROOT_POSIX}/dist/cmd/`;
  const expanded: TracedRun["modules"] = [];
  for (const entry of modules) {
    expanded.push(entry);
    const path = entry.module.replace(/^file:\/\//, "");
    const held = path.startsWith(bundleDir) ? manifest[path.slice(bundleDir.length)] : undefined;
    for (const input of held ?? []) {
      const file = input.startsWith("node_modules/")
        ? `${ROOT_POSIX}/${input}`
        : `${ROOT_POSIX}/dist/${input.replace(/\.tsx?$/, ".js")}`;
      expanded.push({ module: `file://${file}`, parent: entry.module });
    }
  }
  return expanded;
}

const TUI = ["/node_modules/ink/", "/node_modules/react/"];
const NETWORK_AND_DB = ["/node_modules/undici/", "/node_modules/better-sqlite3/"];
const AJV_COMPILER = [
  "/node_modules/ajv/dist/compile/",
  "/node_modules/ajv/dist/2020.js",
  "/node_modules/ajv/dist/ajv.js",
  "/node_modules/ajv/dist/core.js",
];
const PRECOMPILED_VALIDATOR = join(REPO_ROOT, "dist", "src", "config", "org-schema-validator.cjs");

/**
 * The loaded modules matching one of `patterns`, each with the module that asked for it; and for the
 * first one, the chain of importers back to the entry point, so that a failure says what pulled it in.
 */
function loaded(run: TracedRun, patterns: string[]): string[] {
  const hits = run.modules.filter((m) => patterns.some((p) => m.module.includes(p)));
  return [...new Set(hits.map((m) => `${m.module} <- ${chainOf(run, m.parent).join(" <- ")}`))];
}

function chainOf(run: TracedRun, start: string): string[] {
  const chain: string[] = [];
  let current = start;
  while (current && !chain.includes(current) && chain.length < 30) {
    chain.push(current);
    const normal = (s: string) => s.replace(/^file:\/\//, "");
    current = run.modules.find((m) => normal(m.module) === normal(current))?.parent ?? "";
  }
  return chain.map((m) => m.replace(`file://${REPO_ROOT}`, "").replace(REPO_ROOT, ""));
}

/** The packages (node_modules/NAME) a run loaded, sorted. */
function packagesOf(run: TracedRun): string[] {
  const names = new Set<string>();
  for (const { module } of run.modules) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(module);
    if (match) names.add(match[1]!);
  }
  return [...names].sort();
}

/** orgctl's own modules (dist/…, as `src/cli/main.js`) a run loaded, sorted. */
function ownModulesOf(run: TracedRun): string[] {
  const dist = `${REPO_ROOT.split(sep).join("/")}/dist/`;
  const names = new Set<string>();
  for (const { module } of run.modules) {
    const path = module.replace(/^file:\/\//, "");
    if (path.startsWith(dist) && !path.includes("/node_modules/")) names.add(path.slice(dist.length));
  }
  // The bundle's chunks stand for the modules they hold, which withBundledModules added.
  for (const output of Object.keys(bundleManifest())) {
    if (output !== "orgctl.js") names.delete(`cmd/${output}`);
  }
  return [...names].sort();
}

const CLIENT_UNDICI = "src/client/undici-transport.js";
const CLIENT_NODE_HTTP = "src/client/node-http-transport.js";
const SANDBOX_SERVER = "src/console/server.js";
/** The console modules every command may load: its error type, and serve's defaults shown in --help. */
const CONSOLE_CONSTANTS = ["src/console/errors.js", "src/console/bootstrap-defaults.js"];
const isConsoleModule = (m: string) => m.startsWith("src/console/") && !CONSOLE_CONSTANTS.includes(m);

describe("what the built CLI loads at run time, per command", { timeout: 120_000 }, () => {
  let sandboxDir: string;

  beforeAll(() => {
    ensureBuilt();
    traceDir = mkdtempSync(join(tmpdir(), "orgctl-lazy-"));
    writeFileSync(join(traceDir, "hooks.mjs"), HOOKS);
    writeFileSync(join(traceDir, "preload.mjs"), PRELOAD);
    sandboxDir = join(traceDir, "family");
    cpSync(join(REPO_ROOT, "examples", "family"), sandboxDir, { recursive: true });
    rmSync(join(sandboxDir, ".orgctl"), { recursive: true, force: true });
  }, 300_000);
  afterAll(() => {
    if (traceDir) rmSync(traceDir, { recursive: true, force: true });
  });

  it("the tracer sees ink and react when the TUI module is loaded (ESM) and better-sqlite3 (CommonJS)", async () => {
    const progress = pathToFileURL(join(REPO_ROOT, "dist", "src", "render", "ink", "progress.js")).href;
    const tui = await traced(
      ["--input-type=module", "-e", `await import(${JSON.stringify(progress)});`],
      REPO_ROOT,
    );
    expect(tui.code, tui.stderr).toBe(0);
    for (const pattern of TUI) expect(loaded(tui, [pattern]).length, pattern).toBeGreaterThan(0);
    expect(packagesOf(tui)).toEqual(expect.arrayContaining(["ink", "react"]));
    const db = await traced(["-e", 'new (require("better-sqlite3"))(":memory:").close()'], REPO_ROOT);
    expect(db.code, db.stderr).toBe(0);
    expect(loaded(db, ["/node_modules/better-sqlite3/"]).length).toBeGreaterThan(0);
    // And the CommonJS half sees requires made from inside a package (better-sqlite3 → bindings).
    expect(loaded(db, ["/node_modules/bindings/"]).length).toBeGreaterThan(0);
  });

  it("the CLI is bundled: dist/cmd/orgctl.js is one of the bundle's files, and its chunks hold our modules and the packages it bundles, but not better-sqlite3, ink or react", () => {
    const manifest = bundleManifest();
    expect(manifest["orgctl.js"]).toEqual(["cmd/orgctl.ts"]);
    const inputs = Object.values(manifest).flat();
    expect(inputs).toEqual(
      expect.arrayContaining([
        "src/cli/validate.ts",
        "src/config/fast-yaml.ts",
        "src/client/undici-transport.ts",
      ]),
    );
    expect(inputs.some((input) => input.startsWith("node_modules/commander/"))).toBe(true);
    expect(inputs.filter((input) => /^node_modules\/(better-sqlite3|ink|react)\//.test(input))).toEqual([]);
  });

  it("orgctl --version loads no package at all, and of orgctl only its entry point and package-root", async () => {
    const run = await traced([CLI, "--version"], REPO_ROOT);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    // The tracer saw the run: the entry point itself is there.
    expect(ownModulesOf(run)).toEqual(["cmd/orgctl.js", "src/package-root.js"]);
    expect(packagesOf(run)).toEqual([]);
  });

  it("orgctl -v answers the same", async () => {
    const run = await traced([CLI, "-v"], REPO_ROOT);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(packagesOf(run)).toEqual([]);
  });

  it("the build ships the precompiled org.yaml validator", () => {
    expect(existsSync(PRECOMPILED_VALIDATOR), PRECOMPILED_VALIDATOR).toBe(true);
  });

  it("orgctl validate loads commander and the fast YAML reader, but no yaml, console, client, planner, rule engine, TUI, SQLite or ajv compiler", async () => {
    const run = await traced([CLI, "validate", "-f", "org.yaml"], sandboxDir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("org.yaml is valid");
    expect(packagesOf(run)).toContain("commander");
    // `version: 1`, `owner: true` and `plan: free` resolve without `yaml`'s tags: its 233 modules stay unloaded.
    expect(packagesOf(run)).not.toContain("yaml");
    // Plain block YAML is read by the block reader: js-yaml's event parser stays unloaded too.
    expect(packagesOf(run)).not.toContain("js-yaml");
    expect(
      loaded(run, [
        ...TUI,
        ...NETWORK_AND_DB,
        "/node_modules/ajv-formats/",
        "/node_modules/fast-json-patch/",
      ]),
    ).toEqual([]);
    const own = ownModulesOf(run);
    expect(own).toContain("src/cli/validate.js");
    expect(
      own.filter(
        (m) =>
          isConsoleModule(m) || /^src\/(client\/(?!errors\.js)|plan\/(?!json-syntax\.js)|render\/)/.test(m),
      ),
    ).toEqual([]);
    // The config checks import the domain's rules module by module: the rule engine stays unloaded.
    expect(own.filter((m) => /^src\/domain\/(engine|index|operations|tenancy)\b/.test(m))).toEqual([]);
    if (existsSync(PRECOMPILED_VALIDATOR)) {
      expect(loaded(run, ["org-schema-validator.cjs"]).length).toBeGreaterThan(0);
      expect(loaded(run, AJV_COMPILER)).toEqual([]);
    }
  });

  // An alias no longer needs it: the fast reader composes aliases itself (the block reader those of scalars).
  it("orgctl validate loads js-yaml's event parser for a file the block reader leaves: an anchored list", async () => {
    const source = readFileSync(join(sandboxDir, "org.yaml"), "utf8");
    const dir = join(traceDir, "validate-anchor");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "org.yaml"),
      source.replace(/^version: 1$/m, "version: 1\nx-list: &v [1]\nx-again: *v"),
    );
    const run = await traced([CLI, "validate", "-f", "org.yaml"], dir);
    expect(packagesOf(run), run.stderr).toContain("js-yaml");
    expect(packagesOf(run)).not.toContain("yaml");
  });

  it("orgctl validate loads yaml when the file needs it: a tag, a float", async () => {
    const source = readFileSync(join(sandboxDir, "org.yaml"), "utf8");
    for (const [name, edit] of [
      ["tag", (text: string) => text.replace(/^version: 1$/m, "version: !!int 1")],
      ["float", (text: string) => text.replace(/^version: 1$/m, "version: 1\nx-ratio: 1.5")],
    ] as const) {
      const dir = join(traceDir, `validate-${name}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "org.yaml"), edit(source));
      const run = await traced([CLI, "validate", "-f", "org.yaml"], dir);
      expect(packagesOf(run), `${name}: ${run.stderr}`).toContain("yaml");
    }
  });

  it("orgctl plan against the embedded sandbox loads SQLite and reads it with node:http: no undici, ink or react", async () => {
    const run = await traced(
      [CLI, "plan", "-f", "org.yaml", "--sandbox", join(sandboxDir, ".orgctl", "sandbox.db")],
      sandboxDir,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Plan: /m);
    // It did the real work: the sandbox console and its database were loaded, and the client read it.
    expect(existsSync(join(sandboxDir, ".orgctl", "sandbox.db"))).toBe(true);
    expect(packagesOf(run)).toEqual(expect.arrayContaining(["better-sqlite3", "commander", "yaml"]));
    const own = ownModulesOf(run);
    expect(own).toEqual(expect.arrayContaining([SANDBOX_SERVER, CLIENT_NODE_HTTP]));
    expect(own).not.toContain(CLIENT_UNDICI);
    expect(loaded(run, ["/node_modules/undici/", ...TUI])).toEqual([]);
  });

  it("orgctl plan against a console over HTTP loads undici, and neither SQLite, the console, ink nor react", async () => {
    const ts = await startTestConsole();
    try {
      const dir = join(traceDir, "remote");
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, "org.yaml"),
        `version: 1\norganization:\n  name: Example Org\n  plan: pro\nusers:\n${OWNER_USER_YAML}`,
      );
      const run = await traced([CLI, "plan", "-f", "org.yaml", "--endpoint", ts.url], dir, [], {
        ORGCTL_TOKEN: OWNER_TOKEN,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain("No changes");
      expect(packagesOf(run)).toEqual(expect.arrayContaining(["commander", "undici"]));
      const own = ownModulesOf(run);
      expect(own).toContain(CLIENT_UNDICI);
      expect(own).not.toContain(CLIENT_NODE_HTTP);
      expect(own.filter(isConsoleModule)).toEqual([]);
      expect(loaded(run, ["/node_modules/better-sqlite3/", ...TUI])).toEqual([]);
    } finally {
      await ts.close();
    }
  });
});
