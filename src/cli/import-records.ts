import type { LiveSnapshot } from "../client/console-client.js";
import { LISTED_KINDS, RECORD_KINDS } from "../domain/model.js";

/**
 * The imported org.yaml's list of each kind read through the records route, when the console has any: the
 * records by name, each without the fields that hold the kind's default (as org.yaml would leave them out).
 */
export function importedRecords(snapshot: LiveSnapshot): Record<string, Record<string, unknown>[]> {
  const out: Record<string, Record<string, unknown>[]> = {};
  const lists = snapshot.records as Record<string, { name: string }[]>;
  for (const kind of LISTED_KINDS as readonly string[]) {
    const records = lists[kind] ?? [];
    if (records.length === 0) continue;
    const defaults =
      (RECORD_KINDS as Record<string, { defaults?: Record<string, unknown> }>)[kind]!.defaults ?? {};
    out[kind] = [...records]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((record) =>
        Object.fromEntries(
          Object.entries(record).filter(
            ([field, value]) => field === "name" || JSON.stringify(value) !== JSON.stringify(defaults[field]),
          ),
        ),
      );
  }
  return out;
}
