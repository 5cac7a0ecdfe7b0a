import { randomBytes } from "node:crypto";
import { OPERATION_ROUTES, type RoutedOperationName } from "../../api/operations.js";
import type { Operation, RequestedOperationOf } from "../../domain/index.js";
import { domainJson, orgJson } from "../representation.js";
import type { MutationOptions, Render } from "../service.js";
import {
  type Body,
  me,
  mutate,
  noContent,
  type RequestContext,
  type Route,
  renderGroup,
  renderUser,
  userOf,
} from "./context.js";
import { recordAnswer } from "./record-answers.js";

/** What the console does around one operation's route: what only it makes, and how it answers. */
interface OperationHandling<K extends RoutedOperationName> {
  /** The whole operation: the requested one with what only the console makes (a token, a DNS lookup). */
  complete?: (op: RequestedOperationOf<K>, ctx: RequestContext) => Operation | Promise<Operation>;
  /** The answer, from the state after the change. */
  render: (op: RequestedOperationOf<K>, ctx: RequestContext) => Render;
  /** The password the request carries, for the store to hash (never part of the operation). */
  password?: (op: RequestedOperationOf<K>, ctx: RequestContext) => MutationOptions["password"] | undefined;
}

const passwordOf = (ctx: RequestContext): string | undefined => {
  const password = (ctx.body as Body | undefined)?.password;
  return typeof password === "string" ? password : undefined;
};

/**
 * Each operation's handling. An operation on a record kept by name may leave it out: it then answers with the
 * record (record-answers.ts), so a new kind of record needs no entry here.
 */
const HANDLING: { [K in RoutedOperationName]?: OperationHandling<K> } = {
  top_up: {
    render: () => (state, entries) => ({
      status: 201,
      body: { entry: entries[0], balance_cents: state.balance },
    }),
  },
  update_org: {
    render: (_op, ctx) => (state) => ({
      status: 200,
      body: orgJson(state, userOf(state, me(ctx).login), ctx.service.now()),
    }),
  },
  change_org_plan: {
    render: (_op, ctx) => (state) => ({
      status: 200,
      body: orgJson(state, userOf(state, me(ctx).login), ctx.service.now()),
    }),
  },
  create_domain: {
    complete: (op) => ({ ...op, verification_token: randomBytes(16).toString("hex") }),
    render: (op) => (state) => ({ status: 201, body: domainJson(state, state.domains.get(op.name)!) }),
  },
  verify_domain: {
    async complete(op, ctx) {
      const state = ctx.service.state;
      const domain = state.domains.get(op.name);
      let txt: string[] = [];
      // Only look up DNS when it can matter; the rule engine decides whether the record proves ownership.
      if (domain && domain.status === "pending" && state.org.verifier === "dns") {
        txt = await ctx.resolveTxt(`_orgctl-verification.${op.name}`);
      }
      return { ...op, txt_values: txt };
    },
    render: (op) => (state) => ({ status: 200, body: domainJson(state, state.domains.get(op.name)!) }),
  },
  delete_domain: { render: () => noContent },
  create_user: {
    // The engine only needs to know a password is set; the hash is made and stored at the edge.
    complete: (op, ctx) => ({ ...op, user: { ...op.user, password_hash: passwordOf(ctx) ? "set" : null } }),
    render: (op) => renderUser(op.user.login, 201),
    password: (op, ctx) => {
      const plain = passwordOf(ctx);
      return plain ? { login: op.user.login, plain } : undefined;
    },
  },
  update_user: { render: (op) => renderUser(op.login) },
  disable_user: { render: (op) => renderUser(op.login) },
  enable_user: { render: (op) => renderUser(op.login) },
  delete_user: { render: () => noContent },
  change_plan: { render: (op) => renderUser(op.login) },
  change_role: { render: (op) => renderUser(op.login) },
  set_password: {
    render: () => noContent,
    password: (op, ctx) => ({ login: op.login, plain: String((ctx.body as Body).password) }),
  },
  logout: { render: () => noContent },
  resend_invitation: { render: (op) => renderUser(op.login) },
  add_alias: { render: (op) => renderUser(op.login, 201) },
  remove_alias: { render: (op) => renderUser(op.login) },
  create_group: { render: (op) => renderGroup(op.name, 201) },
  update_group: { render: (op) => renderGroup(op.name) },
  rename_group: { render: (op) => renderGroup(op.to) },
  delete_group: { render: () => noContent },
  add_member: { render: (op) => renderGroup(op.group) },
  remove_member: { render: (op) => renderGroup(op.group) },
};

/** The routed operations that declare no answer of their own: each must act on a listed record kind. */
export const OPERATIONS_ANSWERED_WITH_THE_RECORD = (Object.keys(OPERATION_ROUTES) as RoutedOperationName[])
  .filter((name) => HANDLING[name] === undefined)
  .sort();

const RECORD_HANDLING: OperationHandling<RoutedOperationName> = {
  render: (op) => recordAnswer(op as Operation),
};

/**
 * The console's route for each domain operation, declared from the API table: the request is read back into
 * the operation by the table's own parser, completed with what only the console makes, and run through
 * `mutate` (role check by the rule engine, one transaction with its ledger and audit entries).
 */
export const OPERATION_ROUTE_LIST: Route[] = (Object.keys(OPERATION_ROUTES) as RoutedOperationName[]).map(
  (name) => {
    const spec = OPERATION_ROUTES[name] as (typeof OPERATION_ROUTES)[RoutedOperationName];
    const handling = (HANDLING[name] ?? RECORD_HANDLING) as OperationHandling<RoutedOperationName>;
    return {
      method: spec.method,
      template: spec.path,
      async handler(ctx: RequestContext) {
        const requested = spec.parse(
          ctx.params,
          (ctx.body ?? {}) as Body,
        ) as RequestedOperationOf<RoutedOperationName>;
        const operation = handling.complete
          ? await handling.complete(requested, ctx)
          : (requested as unknown as Operation);
        const password = handling.password?.(requested, ctx);
        return mutate(ctx, operation, handling.render(requested, ctx), password ? { password } : {});
      },
    };
  },
);
