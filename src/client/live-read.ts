import { API } from "../api/routes.js";
import type { DomainInfo, GroupInfo, OrgInfo, UserInfo, WalletInfo } from "../api/wire.js";
import type { Catalog } from "../domain/index.js";
import { ConsoleApiError, PartialReadError } from "./errors.js";
import { collect, collectConcurrently, type PageReader } from "./paging.js";
import { type RecordLists, readRecordLists, recordListCounts } from "./record-lists.js";

/** The organization as read from the console in one consistent snapshot. */
export interface LiveSnapshot {
  org: OrgInfo;
  catalog: Catalog;
  wallet: WalletInfo;
  users: UserInfo[];
  groups: GroupInfo[];
  domains: DomainInfo[];
  retired: string[];
  /** Every kind without a list route of its own, read through the records route (record-lists.ts). */
  records: RecordLists;
}

/** readLive retries the whole read this many times when the organization changes under it. */
const READ_RETRIES = 3;

/**
 * The organization as one consistent snapshot. Reads the org, then everything else concurrently, then the
 * org again; a revision change in between (or an ETag from another revision) reads again, up to 3 more
 * times. A snapshot whose lists are shorter or longer than the console's counts is refused.
 * `whileConsoleWorks` (called once, on the first attempt, and expected not to throw) runs as soon as the first
 * answer of the concurrent reads arrives, while the console is still building the rest.
 */
export async function readLive(reader: PageReader, whileConsoleWorks?: () => void): Promise<LiveSnapshot> {
  const revisions: number[] = [];
  for (let attempt = 0; attempt <= READ_RETRIES; attempt++) {
    const before = await reader.request<OrgInfo>(API.org.method, API.org.path);
    const revision = before.body.revision;
    const reads = [
      reader.request<Catalog>(API.catalog.method, API.catalog.path),
      reader.request<WalletInfo>(API.wallet.method, API.wallet.path, { query: { days: 30 } }),
      collectConcurrently<UserInfo>(reader, API.users.path, before.body.counts.users),
      collectConcurrently<GroupInfo>(reader, API.groups.path, before.body.counts.groups),
      collect<DomainInfo>(reader, API.domains.path),
      collect<string>(reader, API.retiredAddresses.path),
    ] as const;
    // Kept out of the race below: with no listed kinds it is done at once, before the console answers.
    const records = readRecordLists(reader, before.body.counts);
    records.catch(noop);
    if (whileConsoleWorks) {
      // The first answer: every request of the batch has been sent, and the console is still answering the
      // others (it answers one at a time). Work of the caller's done now overlaps the console's.
      await Promise.race(reads.map((read) => read.then(noop, noop)));
      whileConsoleWorks();
      whileConsoleWorks = undefined;
    }
    const [[catalog, wallet, users, groups, domains, retired], listed] = await Promise.all([
      Promise.all(reads),
      records,
    ]);
    const after = await reader.request<OrgInfo>(API.org.method, API.org.path);
    revisions.push(revision, after.body.revision);
    const etags = [
      before.etag,
      catalog.etag,
      wallet.etag,
      ...users.etags,
      ...groups.etags,
      ...domains.etags,
      ...retired.etags,
      ...listed.etags,
      after.etag,
    ];
    const stable =
      after.body.revision === revision && etags.every((etag) => etag === null || etag === revision);
    if (!stable) continue;
    const snapshot: LiveSnapshot = {
      org: after.body,
      catalog: catalog.body,
      wallet: wallet.body,
      users: users.items,
      groups: groups.items,
      domains: domains.items,
      retired: retired.items,
      records: listed.lists,
    };
    checkComplete(snapshot);
    return snapshot;
  }
  throw new ConsoleApiError(
    409,
    "unstable_read",
    `the organization kept changing while it was read (${READ_RETRIES + 1} attempts, revisions ` +
      `${revisions.join(", ")}); wait until other changes are done and run again`,
    { attempts: READ_RETRIES + 1, revisions },
  );
}

function noop(): void {}

/** Throws PartialReadError when the lists do not hold as many records as the console says it has. */
function checkComplete(snapshot: LiveSnapshot): void {
  const expected: Record<string, number> = {
    users: snapshot.org.counts.users,
    groups: snapshot.org.counts.groups,
    domains: snapshot.org.counts.domains,
  };
  const read: Record<string, number> = {
    users: snapshot.users.length,
    groups: snapshot.groups.length,
    domains: snapshot.domains.length,
  };
  const nouns: Record<string, string> = { users: "user", groups: "group", domains: "domain" };
  const listed = recordListCounts(snapshot.org.counts, snapshot.records);
  Object.assign(expected, listed.expected);
  Object.assign(read, listed.read);
  Object.assign(nouns, listed.nouns);
  const mismatches = (Object.keys(expected) as (keyof typeof expected)[])
    .filter((kind) => expected[kind] !== read[kind])
    .map(
      (kind) =>
        `the console says it has ${plural(expected[kind]!, nouns[kind]!)} but the read returned ${read[kind]}`,
    );
  if (mismatches.length > 0) {
    throw new PartialReadError(
      `${mismatches.join("; ")}; refusing to plan from a partial read ` +
        `(a sync tool once deleted every user after an API returned an empty list)`,
      expected,
      read,
    );
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : `${noun}s`}`;
}
