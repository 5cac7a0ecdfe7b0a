import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CliError } from "../errors.js";

/*
 * Which org files a command reconciles (issue 12). One `-f FILE` is today's single organization. A directory
 * (`-f orgs/`), or several `-f`, is a fleet: each org file reconciled against its own organization.
 */

/** How much of a file is read to tell whether it is an org file (its top-level `organization:` key). */
const SNIFF_BYTES = 64 * 1024;

/**
 * A top-level `organization:` key (or, in a file written as JSON, which is YAML too, an `"organization":`
 * key): what makes a YAML file an org file rather than some other YAML.
 */
const ORG_KEY = /^organization[ \t]*:|^\s*\{[\s\S]*"organization"\s*:/m;

/** True when the start of `text` has the top-level `organization:` key every org file has. */
export function looksLikeOrgFile(text: string): boolean {
  return ORG_KEY.test(text);
}

function sniff(path: string): string {
  try {
    return readFileSync(path).subarray(0, SNIFF_BYTES).toString("utf8");
  } catch {
    return "";
  }
}

/**
 * The org files `-f` names: null for a single file (today's single-organization command), else the fleet's
 * files. A directory gives its own `*.yaml` and `*.yml` files that are org files (not its subdirectories),
 * sorted by name; other YAML files there are left alone. Several `-f` give those files, in the order given,
 * each once.
 */
export function fleetFiles(paths: readonly string[]): string[] | null {
  const given = paths.length === 0 ? ["org.yaml"] : [...paths];
  const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  if (given.length === 1 && !isDir(given[0]!)) return null;
  const files: string[] = [];
  for (const path of given) {
    if (!isDir(path)) {
      files.push(path);
      continue;
    }
    const found = readdirSync(path, { withFileTypes: true })
      .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
      .map((e) => e.name)
      .sort()
      .map((name) => join(path, name))
      .filter((file) => looksLikeOrgFile(sniff(file)));
    if (found.length === 0) {
      throw new CliError(
        "no_org_files",
        `${path} holds no org file (*.yaml or *.yml with an organization: key); pass the directory of your org files, or -f FILE`,
      );
    }
    files.push(...found);
  }
  return [...new Set(files)];
}
