import type Database from "better-sqlite3";
import { type NamedRecords, RECORD_KINDS, type RecordKind } from "../domain/index.js";

/**
 * The record kinds the store keeps as one JSON row each, in a table named for the kind with the columns
 * `org_id`, `name` and `data` (key: org_id, name): every kind but groups, whose members are rows of their
 * own (store.ts). A new kind needs only its table (migrations.ts).
 */
export type RowKind = Exclude<RecordKind, "groups">;

export const ROW_KINDS = (Object.keys(RECORD_KINDS) as RecordKind[]).filter(
  (kind): kind is RowKind => kind !== "groups",
);

type Prepare = (sql: string) => Database.Statement;

export function isRowKind(kind: RecordKind): kind is RowKind {
  return kind !== "groups";
}

/** Every row-kept record, by kind and name. */
export function loadRowRecords(
  prepare: Prepare,
  orgId: number,
): { [K in RowKind]: Map<string, NamedRecords[K]> } {
  const out = {} as { [K in RowKind]: Map<string, NamedRecords[K]> };
  for (const kind of ROW_KINDS) {
    const records = new Map<string, NamedRecords[RowKind]>();
    for (const row of prepare(`SELECT data FROM ${kind} WHERE org_id = ? ORDER BY name`).all(orgId) as {
      data: string;
    }[]) {
      const record = JSON.parse(row.data) as NamedRecords[RowKind];
      records.set(record.name, record);
    }
    (out as Record<RowKind, Map<string, NamedRecords[RowKind]>>)[kind] = records;
  }
  return out;
}

export function putRowRecord(
  prepare: Prepare,
  orgId: number,
  kind: RowKind,
  record: NamedRecords[RowKind],
): void {
  prepare(
    `INSERT INTO ${kind} (org_id, name, data) VALUES (?, ?, ?) ON CONFLICT(org_id, name) DO UPDATE SET data = excluded.data`,
  ).run(orgId, record.name, JSON.stringify(record));
}

export function deleteRowRecord(prepare: Prepare, orgId: number, kind: RowKind, name: string): void {
  prepare(`DELETE FROM ${kind} WHERE org_id = ? AND name = ?`).run(orgId, name);
}
