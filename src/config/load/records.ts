import { LISTED_KINDS, RECORD_KINDS } from "../../domain/model.js";
import type { DesiredRecords } from "../model.js";

/**
 * The org.yaml lists of the kinds listed by the records route (`LISTED_KINDS`): each entry is the record,
 * its left-out fields filled from the kind's `defaults`. A kind org.yaml does not list is absent (its live
 * records are then left alone), and so is `records` when org.yaml lists none. The schema has checked the entries.
 */
export function desiredRecords(raw: object): { records?: DesiredRecords } {
  const lists = raw as Record<string, object[] | undefined>;
  const out: Record<string, object[]> = {};
  for (const kind of LISTED_KINDS as readonly string[]) {
    const entries = lists[kind];
    if (!entries) continue;
    const defaults = (RECORD_KINDS as Record<string, { defaults?: object }>)[kind]!.defaults;
    out[kind] = entries.map((entry) => ({ ...defaults, ...entry }));
  }
  return Object.keys(out).length > 0 ? { records: out as DesiredRecords } : {};
}
