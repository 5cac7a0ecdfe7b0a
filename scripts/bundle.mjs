// Build step, after tsc and compile-validators: bundles the CLI (cmd/orgctl.ts and everything it imports,
// statically or with `await import`) into ES modules in dist/cmd/, split into chunks so that what a command
// imports lazily still loads only when it runs. One file per chunk instead of one per module: Node's loader
// resolves, reads and compiles a handful of files rather than about a hundred of ours and those of the
// packages bundled in (commander, js-yaml, fast-json-patch).
//
// Left outside the bundle, loaded from node_modules as before: better-sqlite3 (an optional, native dependency),
// ink and react (the TUI), yaml, and whatever the code loads through `createRequire` (undici, the ajv
// compiler; each on first use). A `createRequire(import.meta.url)` in a bundled module is given the URL its
// module has in dist/src/, so that its relative requires (the precompiled validators, *.cjs) still resolve
// there: dist/src/ stays as tsc and compile-validators write it.
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}dist/cmd`;

/** `createRequire(import.meta.url)` → `createRequire(new URL("../src/x/y.js", import.meta.url))`. */
const createRequireWhereTscPutsIt = {
  name: "create-require-where-tsc-puts-it",
  setup(builder) {
    builder.onLoad({ filter: /[\\/]src[\\/].*\.tsx?$/ }, async (args) => {
      let contents = await readFile(args.path, "utf8");
      if (contents.includes("createRequire(import.meta.url)")) {
        const emitted = relative(outdir, `${root}dist/${relative(root, args.path)}`)
          .split("\\")
          .join("/")
          .replace(/\.tsx?$/, ".js");
        contents = contents.replaceAll(
          "createRequire(import.meta.url)",
          `createRequire(new URL(${JSON.stringify(emitted)}, import.meta.url))`,
        );
      }
      return { contents, loader: args.path.endsWith("x") ? "tsx" : "ts" };
    });
  },
};

// commander requires node:child_process when it loads, for executable subcommands, which orgctl has none of:
// loading it cost every command a few milliseconds of start-up. It now loads only if commander spawns.
const COMMANDER_CHILD_PROCESS = "const childProcess = require('node:child_process');";
const childProcessOnFirstSpawn = {
  name: "child-process-on-first-spawn",
  setup(builder) {
    builder.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const contents = await readFile(args.path, "utf8");
      if (!contents.includes(COMMANDER_CHILD_PROCESS)) {
        console.warn(
          `bundle: ${args.path} no longer requires node:child_process as expected; bundled as it is`,
        );
        return { contents, loader: "js" };
      }
      return {
        contents: contents.replace(
          COMMANDER_CHILD_PROCESS,
          "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
        ),
        loader: "js",
      };
    });
  },
};

// Chunks of an earlier build: their names are hashes of their content.
for (const name of readdirSync(outdir)) {
  if (/^chunk-.*\.js$/.test(name)) rmSync(`${outdir}/${name}`);
}

const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: { orgctl: "cmd/orgctl.ts" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.18",
  chunkNames: "chunk-[hash]",
  // yaml and js-yaml too, since src/config/yaml-library.ts loads them with createRequire on first use: one
  // copy of each, not two.
  external: ["better-sqlite3", "ink", "ink/*", "react", "react/*", "yaml", "js-yaml"],
  // CommonJS packages bundled in call require() for Node's built-ins.
  banner: {
    js: 'import { createRequire as __orgctlRequire } from "node:module"; const require = __orgctlRequire(import.meta.url);',
  },
  jsx: "automatic",
  plugins: [createRequireWhereTscPutsIt, childProcessOnFirstSpawn],
  logLevel: "warning",
  metafile: true,
});

// Which modules each file of the bundle holds (sources as `src/cli/validate.ts`, packages as
// `node_modules/commander/lib/command.js`): test/cli/lazy-load.test.ts reads it to say which of our modules and
// which packages a command loaded.
const modules = {};
for (const [output, { inputs }] of Object.entries(metafile.outputs)) {
  modules[relative(outdir, `${root}${output}`).split("\\").join("/")] = Object.keys(inputs)
    .map((input) => input.replace(/^.*?\/?(?=node_modules\/)/, ""))
    .sort();
}
writeFileSync(`${outdir}/bundle-modules.json`, `${JSON.stringify(modules, null, 1)}\n`);
