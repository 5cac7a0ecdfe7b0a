import { createHmac, timingSafeEqual } from "node:crypto";
import type { RecordKind } from "../domain/index.js";
import { ApiError } from "./errors.js";

/** The paged lists; a cursor is only ever valid for the list that issued it. */
export type ListName =
  | "users"
  | "groups"
  | "domains"
  | "ledger"
  | "retired_addresses"
  | "tokens"
  | "audit"
  | "orgs"
  /** The records route: one list per kind, so a cursor of one kind is refused for another. */
  | `records of ${RecordKind}`;

const VERSION = "1";
const MAC_BYTES = 16;

/**
 * List cursors the console can recognise as its own: the last key of the previous page, signed with an HMAC
 * under a per-database secret and bound to its list. A client that invents or edits a cursor, or carries one
 * to another list or another console, gets 400 instead of a page that silently looks like the end of the list.
 */
export class CursorCodec {
  constructor(private readonly secret: Buffer) {}

  encode(list: ListName, key: string | number): string {
    const payload = Buffer.from(JSON.stringify(key)).toString("base64url");
    return `${VERSION}.${payload}.${this.mac(list, payload).toString("base64url")}`;
  }

  decode(list: ListName, cursor: string): string | number {
    const [version, payload, mac, ...rest] = cursor.split(".");
    if (version === VERSION && payload && mac && rest.length === 0) {
      const given = Buffer.from(mac, "base64url");
      const expected = this.mac(list, payload);
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        const key = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
        if (typeof key === "string" || typeof key === "number") return key;
      }
    }
    throw new ApiError(
      400,
      "invalid",
      `cursor is not one this console returned for ${list.replace("_", " ")}; start again without a cursor`,
    );
  }

  private mac(list: ListName, payload: string): Buffer {
    return createHmac("sha256", this.secret)
      .update(`${VERSION}\n${list}\n${payload}`)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}
