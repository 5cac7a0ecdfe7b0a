import type { SecretRef } from "../config/model.js";
import type { Operation, OperationName, OperationOf } from "../domain/index.js";
import type { PlannedRequest } from "./model.js";

const seg = encodeURIComponent;

type ToRequest<K extends OperationName> = (op: OperationOf<K>, secret: SecretRef | null) => PlannedRequest;

/** How each planned operation is carried out over the API. Apply sends exactly these. */
const REQUESTS: { [K in OperationName]?: ToRequest<K> } = {
  update_org: (op) => ({ method: "PATCH", path: "/v1/org", body: { name: op.name } }),
  create_domain: (op) => ({ method: "POST", path: "/v1/domains", body: { name: op.name } }),
  verify_domain: (op) => ({ method: "POST", path: `/v1/domains/${seg(op.name)}/verify` }),
  delete_domain: (op) => ({ method: "DELETE", path: `/v1/domains/${seg(op.name)}` }),
  create_group: (op) => ({
    method: "POST",
    path: "/v1/groups",
    body: { name: op.name, description: op.description },
  }),
  update_group: (op) => ({
    method: "PATCH",
    path: `/v1/groups/${seg(op.name)}`,
    body: { description: op.description },
  }),
  rename_group: (op) => ({
    method: "POST",
    path: `/v1/groups/${seg(op.name)}/rename`,
    body: { name: op.to },
  }),
  delete_group: (op) => ({ method: "DELETE", path: `/v1/groups/${seg(op.name)}` }),
  add_member: (op) => ({ method: "PUT", path: `/v1/groups/${seg(op.group)}/members/${seg(op.login)}` }),
  remove_member: (op) => ({ method: "DELETE", path: `/v1/groups/${seg(op.group)}/members/${seg(op.login)}` }),
  create_user: (op, secret) => {
    const u = op.user;
    const body: Record<string, unknown> = {
      login: u.login,
      email: u.email,
      first_name: u.first_name,
      last_name: u.last_name,
      plan: u.plan,
      role: u.role,
    };
    if (u.profile && Object.keys(u.profile).length > 0) body.profile = u.profile;
    if (u.groups && u.groups.length > 0) body.groups = u.groups;
    if (u.aliases && u.aliases.length > 0) body.aliases = u.aliases;
    if (secret?.rotation) body.password_rotation = secret.rotation;
    return {
      method: "POST",
      path: "/v1/users",
      body,
      ...(secret ? { secret: { field: "password", ref: secret } } : {}),
    };
  },
  update_user: (op) => {
    const body: Record<string, unknown> = {};
    if (op.first_name !== undefined) body.first_name = op.first_name;
    if (op.last_name !== undefined) body.last_name = op.last_name;
    if (op.profile !== undefined) body.profile = op.profile;
    return { method: "PATCH", path: `/v1/users/${seg(op.login)}`, body };
  },
  disable_user: (op) => ({ method: "POST", path: `/v1/users/${seg(op.login)}/disable` }),
  enable_user: (op) => ({ method: "POST", path: `/v1/users/${seg(op.login)}/enable` }),
  delete_user: (op) => ({ method: "DELETE", path: `/v1/users/${seg(op.login)}` }),
  change_plan: (op) => ({ method: "PUT", path: `/v1/users/${seg(op.login)}/plan`, body: { plan: op.plan } }),
  change_role: (op) => ({ method: "PUT", path: `/v1/users/${seg(op.login)}/role`, body: { role: op.role } }),
  set_password: (op, secret) => ({
    method: "PUT",
    path: `/v1/users/${seg(op.login)}/password`,
    body: secret?.rotation ? { rotation: secret.rotation } : {},
    ...(secret ? { secret: { field: "password", ref: secret } } : {}),
  }),
  add_alias: (op) => ({
    method: "POST",
    path: `/v1/users/${seg(op.login)}/aliases`,
    body: { address: op.address },
  }),
  remove_alias: (op) => ({ method: "DELETE", path: `/v1/users/${seg(op.login)}/aliases/${seg(op.address)}` }),
};

export function requestFor(operation: Operation, secret: SecretRef | null = null): PlannedRequest {
  const build = REQUESTS[operation.op] as ToRequest<OperationName> | undefined;
  if (!build) throw new Error(`orgctl does not plan ${operation.op} operations`);
  return build(operation as never, secret);
}
