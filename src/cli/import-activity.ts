import { type Document, isMap, isSeq } from "yaml";
import type { UserInfo } from "../client/console-client.js";

/** `2026-03-01 12:00Z`: the console's time to the minute, in UTC. */
const minute = (at: string) => `${at.slice(0, 16).replace("T", " ")}Z`;

/** One user's read-only facts [RI]: a pending invitation and since when, else the last login. */
export function activityComment(user: Pick<UserInfo, "status" | "last_login_at" | "invited_at">): string {
  if (user.status === "invited" && user.invited_at) {
    return ` read-only: invitation pending since ${minute(user.invited_at)}`;
  }
  return ` read-only: ${user.last_login_at ? `last login ${minute(user.last_login_at)}` : "never logged in"}`;
}

/**
 * Puts each user's read-only facts in a comment above their entry of an imported org.yaml. Comments are
 * not configuration: planning the file ignores them, so they can never make a difference.
 */
export function annotateActivity(doc: Document, users: readonly UserInfo[]): void {
  const entries = doc.get("users", true);
  if (!isSeq(entries)) return;
  entries.items.forEach((item, i) => {
    const user = users[i];
    if (user && isMap(item)) item.commentBefore = activityComment(user);
  });
}
