import {
  type ConsoleState,
  type Operation,
  RECORD_KIND_LIST,
  RECORD_KINDS,
  targetOf,
} from "../../domain/index.js";
import { ApiError } from "../errors.js";
import type { Render } from "../service.js";

/** Each record kind by the noun its audit targets use (`mailbox/sales` → the mailbox records). */
const KIND_OF_NOUN = new Map(RECORD_KIND_LIST.map((kind) => [RECORD_KINDS[kind].noun, kind]));

/**
 * The answer of an operation on a record kept by name that declares no answer of its own (operations.ts):
 * the record as the console keeps it (201 when the operation made it), or 204 when it is gone. The record
 * is the operation's audit target (`targetOf`), so a new kind of record needs no answer written for it.
 */
export function recordAnswer(operation: Operation): Render {
  const target = targetOf(operation);
  const slash = target.indexOf("/");
  const kind = slash > 0 ? KIND_OF_NOUN.get(target.slice(0, slash)) : undefined;
  if (!kind) {
    // A bug, not the caller's fault: an operation on something else must declare its answer.
    throw new ApiError(500, "internal", `the console declares no answer for ${operation.op}`);
  }
  const name = target.slice(slash + 1);
  return (state: ConsoleState) => {
    const record = (state[kind] as Map<string, unknown>).get(name);
    if (record === undefined) return { status: 204, body: null };
    return { status: operation.op.startsWith("create_") ? 201 : 200, body: record };
  };
}
