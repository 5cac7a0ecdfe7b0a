import { checkConfig } from "../config/check.js";
import { ConfigInvalidError, type LoadedConfig, loadConfig, loadConfigAsync } from "../config/load.js";
import type { ConfigIssue } from "../config/model.js";
import { type Catalog, DEFAULT_CATALOG } from "../domain/catalog.js";
import type { ConsoleState } from "../domain/model.js";

/** Loads org.yaml and runs the offline checks; errors throw, warnings come back. */
export function loadChecked(
  file: string,
  catalog: Catalog | null = DEFAULT_CATALOG,
): { config: LoadedConfig; warnings: ConfigIssue[] } {
  const config = loadConfig(file);
  const issues = checkConfig(config, catalog);
  const errors = issues.filter((i) => i.severity === "error");
  if (errors.length > 0) throw new ConfigInvalidError(issues);
  return { config, warnings: issues.filter((i) => i.severity === "warning") };
}

/** `loadChecked` for plan and apply: a large file is parsed on a worker thread while the console is read. */
export async function loadCheckedAsync(
  file: string,
  catalog: Catalog | null,
): Promise<{ config: LoadedConfig; warnings: ConfigIssue[] }> {
  const config = await loadConfigAsync(file);
  const issues = checkConfig(config, catalog);
  if (issues.some((i) => i.severity === "error")) throw new ConfigInvalidError(issues);
  return { config, warnings: issues.filter((i) => i.severity === "warning") };
}

/** `file:line:col` of a path in the loaded file. */
export function sourceOf(config: LoadedConfig): (path: (string | number)[]) => string {
  return (path) => {
    const { line, col } = config.locate(path);
    return `${config.file}:${line}:${col}`;
  };
}

/** Looks up the verification TXT records of pending domains that org.yaml wants. */
export async function lookupPendingTxt(
  config: LoadedConfig,
  state: ConsoleState,
): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const pending = config.desired.domains.filter((d) => state.domains.get(d.name)?.status === "pending");
  if (pending.length === 0) return found;
  // Loaded only when a domain waits for its record: most plans look nothing up.
  const { resolveTxt } = await import("node:dns/promises");
  await Promise.all(
    pending.map(async ({ name }) => {
      try {
        const records = await Promise.race([
          resolveTxt(`_orgctl-verification.${name}`),
          new Promise<string[][]>((resolve) => setTimeout(() => resolve([]), 3000).unref()),
        ]);
        found.set(
          name,
          records.map((chunks) => chunks.join("")),
        );
      } catch {
        found.set(name, []);
      }
    }),
  );
  return found;
}
