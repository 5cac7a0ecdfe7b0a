/**
 * The store keeps every record kind but groups as one JSON row per record, in a table named for the kind:
 * a new kind needs only its migration. This holds the kinds and the migrated schema together.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { ROW_KINDS } from "../../src/console/record-rows.js";
import { ConsoleStore } from "../../src/console/store.js";
import { RECORD_KINDS } from "../../src/domain/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("row-kept record kinds", () => {
  it("are every record kind but groups, each with an (org_id, name primary key, data) table after migration", () => {
    expect([...ROW_KINDS, "groups"].sort()).toEqual(Object.keys(RECORD_KINDS).sort());
    expect(ROW_KINDS).toContain("domains");
    const dir = mkdtempSync(join(tmpdir(), "orgctl-rows-"));
    dirs.push(dir);
    const path = join(dir, "console.db");
    new ConsoleStore(path).close();
    const db = new Database(path, { readonly: true });
    try {
      for (const kind of ROW_KINDS) {
        const columns = db.prepare(`PRAGMA table_info(${kind})`).all() as { name: string; pk: number }[];
        expect(columns.map((c) => c.name).sort(), `table ${kind}`).toEqual(["data", "name", "org_id"]);
        expect(columns.find((c) => c.name === "org_id")?.pk, `${kind}.org_id is the key's first part`).toBe(
          1,
        );
        expect(columns.find((c) => c.name === "name")?.pk, `${kind}.name is the key's second part`).toBe(2);
      }
    } finally {
      db.close();
    }
  });
});
