import { refuse } from "../refusal.js";
import { type Handlers, no, ok, permit } from "./context.js";

export const MAX_TOP_UP_CENTS = 10_000_000;
export const TOP_UP_METHODS = ["test", "card", "paypal"] as const;

export const WALLET_HANDLERS: Handlers<"top_up"> = {
  top_up(ctx, op) {
    const denied = permit(ctx, "top_up");
    if (denied) return no(denied);
    if (
      !Number.isSafeInteger(op.amount_cents) ||
      op.amount_cents <= 0 ||
      op.amount_cents > MAX_TOP_UP_CENTS
    ) {
      return no(
        refuse("invalid", `a top-up must be a whole number of cents between 1 and ${MAX_TOP_UP_CENTS}`, {
          amount_cents: op.amount_cents,
        }),
      );
    }
    if (op.method !== "test") {
      return no(
        refuse(
          "payment_failed",
          `the reference console cannot take ${op.method} payments; use method "test"`,
          {
            method: op.method,
          },
        ),
      );
    }
    return ok(
      [],
      [
        {
          amount_cents: op.amount_cents,
          reason: "top_up",
          login: null,
          plan: null,
          memo: `top-up (${op.method})`,
        },
      ],
    );
  },
};
