import { createRequire } from "node:module";

/**
 * The `yaml` package, loaded on first use. Its 233 CommonJS modules cost about half of Node's own start-up,
 * and a file the fast reader (fast-yaml.ts) reads whole, with plain scalars that need no tag of `yaml`'s, never
 * needs them: `orgctl validate` of a small file then starts without `yaml`.
 */
let library: typeof import("yaml") | null = null;

export function yamlLibrary(): typeof import("yaml") {
  library ??= createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return library;
}

let events: typeof import("js-yaml") | null = null;

/**
 * js-yaml, loaded on first use: only a file the block reader (block-yaml.ts) leaves needs its event parser,
 * and compiling and setting up its schemas is a noticeable part of `orgctl validate`'s start-up.
 */
export function jsYamlLibrary(): typeof import("js-yaml") {
  events ??= createRequire(import.meta.url)("js-yaml") as typeof import("js-yaml");
  return events;
}
