import { checkAddressAvailable, normalizeAddress, permanentAliasRefusal } from "../addresses.js";
import { refuse } from "../refusal.js";
import { findUser, type Handlers, isRefusal, no, ok, permit, protectOwner } from "./context.js";
import { checkAliasLimit } from "./limits.js";

export const ALIAS_HANDLERS: Handlers<"add_alias" | "remove_alias"> = {
  add_alias(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    const denied = permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "edit");
    if (denied) return no(denied);
    const address = normalizeAddress(op.address);
    if (target.aliases.includes(address))
      return no(refuse("conflict", `${target.login} already has alias ${address}`, { address }));
    const taken = checkAddressAvailable(ctx.state, address, target.login);
    if (taken) return no(taken);
    const tooMany = checkAliasLimit(ctx.state.catalog, target.plan, target.login, target.aliases.length + 1);
    if (tooMany) return no(tooMany);
    return ok([{ type: "put_user", user: { ...target, aliases: [...target.aliases, address].sort() } }]);
  },

  remove_alias(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    const denied = permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "edit");
    if (denied) return no(denied);
    const address = normalizeAddress(op.address);
    if (!target.aliases.includes(address))
      return no(refuse("not_found", `${target.login} has no alias ${address}`, { address }));
    const permanent = permanentAliasRefusal(ctx.state, target.login, address);
    if (permanent) return no(permanent);
    return ok([
      { type: "put_user", user: { ...target, aliases: target.aliases.filter((a) => a !== address) } },
    ]);
  },
};
