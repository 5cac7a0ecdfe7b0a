/**
 * A group's members: a sorted list of logins that the rule engine never edits in place. Joining or leaving
 * makes a new list; the list it was made from is remembered with it, so storage can write the one row that
 * changed without comparing 10,000 logins to find it (`membershipChangeOf`).
 */

/** The one change that made a members list from another. */
export interface MembershipChange {
  added: readonly string[];
  dropped: readonly string[];
}

// Keyed by the new list, so a list nobody holds any more takes its record with it. A list made from another
// drops that one's record, so each record holds one earlier list, never a chain of them: every join of a group
// would otherwise keep all its earlier lists alive. The record only says how a list was made: nothing reads it
// to decide a rule, and a list without one is handled by comparing.
const changes = new WeakMap<readonly string[], MembershipChange & { from: readonly string[] }>();

function remember(from: readonly string[], next: readonly string[], change: MembershipChange): void {
  changes.delete(from);
  changes.set(next, { from, ...change });
}

/** Where `login` belongs in the sorted `members`: one binary search. */
function placeOf(members: readonly string[], login: string): number {
  let low = 0;
  let high = members.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (members[middle]! < login) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * `members` (sorted) with `login` inserted in its place, where sorting again would compare every member on each
 * join of a large group. `toSpliced` copies in one block: `slice` then `splice` moved the elements one by one
 * (about 2 ms at 10,000 members, against 20 µs).
 */
export function withMember(members: readonly string[], login: string): string[] {
  const next = members.toSpliced(placeOf(members, login), 0, login);
  remember(members, next, { added: [login], dropped: [] });
  return next;
}

/** `members` without `login`: found by binary search in a sorted list, else by a scan. */
export function withoutMember(members: readonly string[], login: string): string[] {
  const place = placeOf(members, login);
  const next =
    members[place] === login ? members.toSpliced(place, 1) : members.filter((member) => member !== login);
  remember(members, next, {
    added: [],
    dropped: members.length === next.length ? [] : [login],
  });
  return next;
}

/** The logins that `after` adds to `before` and drops from it, when `after` was made from `before` here. */
export function membershipChangeOf(
  before: readonly string[],
  after: readonly string[],
): MembershipChange | null {
  const change = changes.get(after);
  return change && change.from === before ? change : null;
}
