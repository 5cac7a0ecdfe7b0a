/**
 * The counted resources a step can use or free: money in the wallet, paid and free seats, active org_admins
 * above the last one, and custom-domain slots. Each is a number that must stay at or above zero after every
 * step (its room: balance, seats left, admins beyond one, domains left).
 */
import { Heap } from "./heap.js";

export type Resource = "money" | "paid_seats" | "free_seats" | "admins" | "org_admins" | "domains";

/** How a step changes the room of each resource: positive frees room, negative uses it. */
export type ResourceUse = [Resource, number][];

/**
 * For steps in run order, which earlier steps each must wait for so that the room of every resource stays at
 * or above zero in *every* order the dependencies allow, not only in the planned one.
 *
 * Per resource, the users of room are taken in run order; each one joins a level, and a level is the set of
 * freeing steps every user at that level waits for. Levels are nested and only grow, by the largest freeing
 * step done before the user, until `room + freed at this level - used by all users up to this level >= 0`.
 * In any order the dependencies allow, the steps done before a user include all the freeing steps of the
 * highest level among them, and only users of that level or lower: so the room never goes below zero. The
 * planned order itself passed, so the freeing steps before a user always suffice. Pure; O(n log n) per
 * resource plus the dependencies it returns.
 */
export function countedDeps(room: Record<Resource, number>, uses: ResourceUse[]): Set<number>[] {
  const needs = uses.map(() => new Set<number>());
  const resources = new Set<Resource>();
  for (const use of uses) for (const [resource] of use) resources.add(resource);
  for (const resource of resources) {
    // Largest amount first; among equals, the earliest step.
    const free = new Heap<{ amount: number; index: number }>(
      (a, b) => a.amount > b.amount || (a.amount === b.amount && a.index < b.index),
    );
    const level: number[] = [];
    let freed = 0;
    let used = 0;
    uses.forEach((use, i) => {
      const delta = use.find(([r]) => r === resource)?.[1] ?? 0;
      if (delta > 0) free.push({ amount: delta, index: i });
      if (delta >= 0) return;
      used -= delta;
      while (room[resource] + freed - used < 0 && free.size > 0) {
        const top = free.pop()!;
        level.push(top.index);
        freed += top.amount;
      }
      for (const j of level) needs[i]!.add(j);
    });
  }
  return needs;
}
