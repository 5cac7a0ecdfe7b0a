import { API, pathOf } from "../api/routes.js";
import type { OrgInfo, RecordInfo } from "../api/wire.js";
import {
  LISTED_KINDS,
  type ListedKind,
  RECORD_KINDS,
  type RecordKind,
  type RecordKindSpec,
} from "../domain/index.js";
import { collect, collectConcurrently, type PageReader } from "./paging.js";

/** The records of every kind without a list route of its own (`LISTED_KINDS`), as the console keeps them. */
export type RecordLists = { [K in ListedKind]: RecordInfo<K>[] };

/**
 * Reads every listed kind through the console's one records route, all kinds at once, each by offset when
 * the org's `counts` announce its length. The kind table (`RECORD_KINDS`) says which kinds there are, so a
 * new kind of record is read with no client code of its own. The ETags join the snapshot's revision check.
 */
export async function readRecordLists(
  reader: PageReader,
  counts: OrgInfo["counts"],
  kinds: readonly RecordKind[] = LISTED_KINDS,
): Promise<{ lists: RecordLists; etags: (number | null)[] }> {
  const announced = counts as Record<string, number | undefined>;
  const read = await Promise.all(
    kinds.map((kind) => {
      const path = pathOf(API.records.path, { kind });
      const total = announced[kind];
      return typeof total === "number" ? collectConcurrently(reader, path, total) : collect(reader, path);
    }),
  );
  const lists: Record<string, unknown[]> = {};
  kinds.forEach((kind, i) => {
    lists[kind] = read[i]!.items;
  });
  return { lists: lists as RecordLists, etags: read.flatMap((r) => r.etags) };
}

/** For the completeness check: how many records of each listed kind the org announced and the read returned. */
export function recordListCounts(
  counts: OrgInfo["counts"],
  lists: RecordLists,
  kinds: readonly RecordKind[] = LISTED_KINDS,
): { expected: Record<string, number>; read: Record<string, number>; nouns: Record<string, string> } {
  const announced = counts as Record<string, number | undefined>;
  const got = lists as Record<string, unknown[]>;
  const expected: Record<string, number> = {};
  const read: Record<string, number> = {};
  const nouns: Record<string, string> = {};
  for (const kind of kinds) {
    // A console that does not count a kind announces none; the read then has to come back empty.
    expected[kind] = announced[kind] ?? 0;
    read[kind] = got[kind]!.length;
    nouns[kind] = (RECORD_KINDS as Record<string, RecordKindSpec>)[kind]!.noun;
  }
  return { expected, read, nouns };
}
