import { RECORD_KIND_LIST, recordKindNamed } from "../../domain/index.js";
import { ApiError } from "../errors.js";
import { pageOf } from "../http.js";
import { json, type RouteTable, requireRead, sortedKeys } from "./context.js";

/**
 * The one list route for records kept by name (`RECORD_KINDS`): a page of one kind's records, by name, as
 * the console keeps them. It is how the live read reads every kind without a list route of its own, so a
 * new kind of record needs no route, wire type or client code. Readable by every admin role, like every read.
 */
export const RECORD_ROUTES: RouteTable<"records"> = {
  records: {
    handler(ctx) {
      requireRead(ctx);
      const kind = recordKindNamed(ctx.params.kind!);
      if (!kind) {
        throw new ApiError(
          404,
          "not_found",
          `there is no kind of record named ${JSON.stringify(ctx.params.kind)}; the kinds are ${RECORD_KIND_LIST.join(", ")}`,
          { kinds: RECORD_KIND_LIST },
        );
      }
      const state = ctx.service.state;
      const records: Map<string, unknown> = state[kind];
      const { keys, next } = pageOf(sortedKeys(records), ctx.query, ctx.cursors, `records of ${kind}`);
      return json(200, { items: keys.map((k) => records.get(k)), next_cursor: next }, state);
    },
  },
};
