import type jsonPatch from "fast-json-patch";
import { LISTED_KINDS, type ListedKind, RECORD_KINDS } from "../../domain/index.js";

import { RECORD_OPERATIONS, type RecordOperations } from "../step-kinds.js";
import type { DiffContext } from "./context.js";

type Fields = Record<string, unknown>;

/**
 * Every kind listed by the records route that org.yaml lists: its records created, updated field by field,
 * and deleted when org.yaml lists the kind without them; a kind org.yaml does not list is left alone. The
 * operations come from the kind table (`RECORD_OPERATIONS`), so a new kind needs no diff of its own.
 */
export function diffRecords(ctx: DiffContext): void {
  const desired = ctx.desired.records as Record<string, Fields[] | undefined> | undefined;
  if (!desired) return;
  for (const kind of LISTED_KINDS as readonly string[]) {
    const wanted = desired[kind];
    if (!wanted) continue;
    diffKind(ctx, kind, wanted);
  }
}

function diffKind(ctx: DiffContext, kind: string, wanted: Fields[]): void {
  const { add, source } = ctx;
  const operations = (RECORD_OPERATIONS as Record<string, RecordOperations<ListedKind>>)[kind]!;
  const noun = (RECORD_KINDS as Record<string, { noun: string }>)[kind]!.noun;
  const live = (ctx.live as unknown as Record<string, Map<string, Fields>>)[kind]!;
  const names = new Set<string>();
  wanted.forEach((record, i) => {
    const name = String(record.name);
    names.add(name);
    const current = live.get(name);
    const typed = record as unknown as Parameters<RecordOperations<ListedKind>["create"]>[0];
    if (!current) {
      add({
        summary: `create ${noun} ${name}`,
        operation: operations.create(typed),
        secret: null,
        source: source([kind, i]),
      });
      return;
    }
    const changed = Object.keys(record)
      .filter((field) => field !== "name" && JSON.stringify(record[field]) !== JSON.stringify(current[field]))
      .sort();
    if (changed.length === 0) return;
    const patch: jsonPatch.Operation[] = changed.map((field) => ({
      op: "replace",
      path: `/${field}`,
      value: record[field],
    }));
    add({
      summary: `update ${noun} ${name} ${changed.join(", ")}`,
      operation: operations.update(typed),
      secret: null,
      source: source([kind, i]),
      patch,
      was: Object.fromEntries(changed.map((field) => [field, current[field]])),
    });
  });
  for (const name of [...live.keys()].sort()) {
    if (names.has(name)) continue;
    add({
      summary: `delete ${noun} ${name}`,
      operation: operations.delete(name),
      secret: null,
    });
  }
}
