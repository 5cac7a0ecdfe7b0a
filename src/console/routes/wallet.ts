import type { WalletInfo } from "../../api/wire.js";
import { forecastRenewals } from "../../domain/index.js";
import { ApiError } from "../errors.js";
import { limitOf } from "../http.js";
import { json, type RouteTable, requireRead } from "./context.js";

/** The wallet: its balance with the renewals coming due, and its ledger. */
export const WALLET_ROUTES: RouteTable<"wallet" | "ledger"> = {
  wallet: {
    handler(ctx) {
      requireRead(ctx);
      const raw = ctx.query.get("days") ?? "30";
      const days = Number(raw);
      if (!Number.isInteger(days) || days < 0 || days > 366) {
        throw new ApiError(400, "invalid", "days must be a whole number from 0 to 366", { days: raw });
      }
      const state = ctx.service.state;
      const wallet: WalletInfo = {
        balance_cents: state.balance,
        currency: state.catalog.currency,
        renewals_due: forecastRenewals(
          state.users.values(),
          state.catalog,
          ctx.service.now(),
          days,
          state.org,
        ),
      };
      return json(200, wallet, state);
    },
  },
  ledger: {
    handler(ctx) {
      requireRead(ctx);
      const limit = limitOf(ctx.query);
      const cursor = ctx.query.get("cursor");
      const after = cursor ? Number(ctx.cursors.decode("ledger", cursor)) : 0;
      const items = ctx.service.store.ledgerPage(after, limit + 1);
      const page = items.slice(0, limit);
      const next = items.length > limit ? ctx.cursors.encode("ledger", page[page.length - 1]!.id) : null;
      return json(200, { items: page, next_cursor: next }, ctx.service.state);
    },
  },
};
