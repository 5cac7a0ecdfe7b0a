import { CliError } from "./errors.js";

/**
 * better-sqlite3 is an optional dependency: a config repo that only talks to a console over HTTP installs
 * orgctl without it (`--omit=optional`) and skips its native build. Only `serve` and the sandbox need it.
 */
export function sqliteMissing(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === "string" ? message : "";
  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") return text.includes("better-sqlite3");
  // Installed, but its native module was not built or does not load on this machine.
  return (
    code === "ERR_DLOPEN_FAILED" ||
    /Could not locate the bindings file|better_sqlite3\.node|NODE_MODULE_VERSION/.test(text)
  );
}

export function sqliteUnavailable(what: string): CliError {
  const fix =
    what === "orgctl serve"
      ? "Install orgctl with its optional dependencies (npm install without --omit=optional) where the console runs"
      : "Set ORGCTL_ENDPOINT (with ORGCTL_TOKEN) to use a console over HTTP, or install orgctl with its " +
        "optional dependencies (npm install without --omit=optional)";
  return new CliError(
    "sqlite_unavailable",
    `${what} needs better-sqlite3, an optional dependency that is not installed here (installed with ` +
      `--omit=optional, or its native build failed). ${fix}`,
  );
}

/** Runs `start` (which loads or opens SQLite), turning a missing or unloadable better-sqlite3 into `sqlite_unavailable`. */
export async function withSqlite<T>(start: () => Promise<T>, what: string): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (sqliteMissing(error)) throw sqliteUnavailable(what);
    throw error;
  }
}
