import type { ListedKind, NamedRecords, Profile, ProfileField, Role } from "../domain/index.js";
import { SELF_SERVICE_PROFILE_FIELDS } from "../domain/model.js";
import { OrgctlError } from "../errors.js";

/** Where a password comes from. The password itself is read only when a step needs it, at apply time. */
export interface SecretRef {
  env?: string;
  file?: string;
  /** Changing this label asks for a password reset. */
  rotation: string | null;
}

export type Unlisted = "prune" | "ignore";

export interface Policy {
  removed_users: "disable" | "delete";
  unlisted: {
    users: Unlisted;
    groups: Unlisted;
    domains: Unlisted;
    aliases: Unlisted;
    memberships: Unlisted;
  };
  removal_threshold: { percent: number; min_users: number };
  min_balance_cents: number;
  ignore_profile_fields: ProfileField[];
}

export const DEFAULT_POLICY: Policy = {
  removed_users: "disable",
  unlisted: { users: "prune", groups: "prune", domains: "prune", aliases: "prune", memberships: "prune" },
  removal_threshold: { percent: 25, min_users: 10 },
  min_balance_cents: 0,
  // Users edit their own personal data [MF]: by default their edits are not drift. An admin who wants org.yaml
  // to manage a field takes it out of this list (`ignore_profile_fields: []` manages them all).
  ignore_profile_fields: [...SELF_SERVICE_PROFILE_FIELDS],
};

export interface DesiredUser {
  login: string;
  first_name: string;
  last_name: string;
  /** Lower case. */
  email: string;
  plan: string;
  role: Role;
  status: "active" | "disabled";
  owner: boolean;
  protected: boolean;
  /** Lower case, unique, sorted. */
  aliases: string[];
  /** Unique, sorted. */
  groups: string[];
  profile: Profile;
  password: SecretRef | null;
}

export interface DesiredGroup {
  name: string;
  description: string;
  /** Names the group had before: a live group under one of them is renamed, keeping its members. */
  previously: string[];
}

export interface DesiredDomain {
  name: string;
}

/** org.yaml after loading: defaults filled in, addresses normalized, lists sorted by identity. */
export interface DesiredOrg {
  organization: {
    name: string;
    /** The organization in a console that hosts many (the routes under its prefix, src/api/org-prefix.ts); absent: the token's own. */
    slug?: string;
    plan: string | null;
    provider_domain: string;
  };
  policy: Policy;
  domains: DesiredDomain[];
  groups: DesiredGroup[];
  users: DesiredUser[];
  /** The kinds listed by the records route that org.yaml lists (src/config/load/records.ts). */
  records?: DesiredRecords;
}

/** Each record kind without a list route of its own that org.yaml lists: its records, defaults filled in. */
export type DesiredRecords = { [K in ListedKind]?: NamedRecords[K][] };

/** A config problem at a place in the file: printed as `file:line:col code message`. */
export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  code: string;
  message: string;
  /** JSON pointer of the offending value, e.g. `/users/3/email`. */
  path: string;
  severity: "error" | "warning";
}

export function formatIssue(issue: ConfigIssue): string {
  const prefix = issue.severity === "warning" ? "warning: " : "";
  return `${issue.file}:${issue.line}:${issue.col} ${prefix}${issue.code}: ${issue.message}`;
}

/** The config file has problems: each is located (file:line:col) and the CLI prints them one a line. */
export class ConfigInvalidError extends OrgctlError<"config_invalid"> {
  constructor(readonly issues: ConfigIssue[]) {
    super("config_invalid", `${issues.length} problem(s) in the configuration`);
  }
}
