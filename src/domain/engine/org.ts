import { refuse } from "../refusal.js";
import { type Handlers, no, ok, permit } from "./context.js";

export const ORG_HANDLERS: Handlers<"update_org"> = {
  update_org(ctx, op) {
    const denied = permit(ctx, "manage_org");
    if (denied) return no(denied);
    const name = op.name.trim();
    if (name.length === 0 || name.length > 200)
      return no(refuse("invalid", "the organization name must be 1 to 200 characters"));
    return ok([{ type: "put_org", org: { ...ctx.state.org, name } }]);
  },
};
