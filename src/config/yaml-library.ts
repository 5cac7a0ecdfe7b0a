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
