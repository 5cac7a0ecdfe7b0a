// Imported module by module, not from the domain index: `validate` must not load the whole rule engine.
import {
  addressFormatRefusal,
  customDomainNameRefusal,
  reservedAddressRefusal,
  splitAddress,
} from "../domain/addresses.js";
import {
  type Catalog,
  findOrgPlan,
  findPlan,
  isPaidPlan,
  unknownOrgPlanRefusal,
  unknownPlanRefusal,
} from "../domain/catalog.js";
import type { Refusal } from "../domain/refusal.js";
import {
  aliasLimitRefusal,
  domainLimitRefusal,
  isActiveOrgAdmin,
  keepsAdminFloor,
  namesRefusal,
  OWNER_ROLE,
  ownerStateRefusal,
  seatLimitRefusal,
} from "../domain/rules.js";
import type { LoadedConfig, PathSegment } from "./load.js";
import type { ConfigIssue } from "./model.js";
import { closest } from "./suggest.js";

/**
 * Semantic checks of a loaded config. Without a catalog only what needs no console is checked; `validate`
 * passes the console's default catalog, `plan` the live one, for plan names and limits. Each rule of the
 * rule book is asked of src/domain, the code the console decides with, so that a file that passes here is
 * one the console accepts (test/config/parity.test.ts holds the two to each other).
 */
export function checkConfig(config: LoadedConfig, catalog: Catalog | null): ConfigIssue[] {
  const { desired } = config;
  const issues: ConfigIssue[] = [];
  const add = (severity: ConfigIssue["severity"], path: PathSegment[], code: string, message: string) => {
    const { line, col } = config.locate(path);
    issues.push({ file: config.file, line, col, code, message, path: `/${path.join("/")}`, severity });
  };
  const refused = (path: PathSegment[], refusal: Refusal | null) => {
    if (refusal) add("error", path, refusal.code, refusal.message);
    return refusal !== null;
  };
  const provider = desired.organization.provider_domain;
  const declaredDomains = new Set<string>();
  desired.domains.forEach((domain, i) => {
    if (declaredDomains.has(domain.name))
      add("error", ["domains", i, "name"], "conflict", `domain ${domain.name} is listed twice; keep one`);
    refused(["domains", i, "name"], customDomainNameRefusal(provider, domain.name));
    declaredDomains.add(domain.name);
  });
  const groupNames = new Set<string>();
  desired.groups.forEach((group, i) => {
    if (groupNames.has(group.name))
      add("error", ["groups", i, "name"], "conflict", `group ${group.name} is listed twice; keep one`);
    groupNames.add(group.name);
  });

  const logins = new Map<string, number>();
  const addresses = new Map<string, string>();
  let owners = 0;
  let activeAdmins = 0;
  let paid = 0;
  let free = 0;
  desired.users.forEach((user, i) => {
    if (logins.has(user.login)) {
      add(
        "error",
        ["users", i, "login"],
        "conflict",
        `login ${user.login} is used twice (also users[${logins.get(user.login)}]); logins are unique`,
      );
    }
    logins.set(user.login, i);
    if (user.owner) {
      owners += 1;
      const owner = ownerStateRefusal(user);
      refused(["users", i, user.role !== OWNER_ROLE ? "role" : "status"], owner);
    }
    if (isActiveOrgAdmin(user)) activeAdmins += 1;
    refused(
      ["users", i, user.first_name ? "last_name" : "first_name"],
      namesRefusal(user.login, user.first_name, user.last_name),
    );
    const checkAddress = (address: string, path: PathSegment[]) => {
      if (refused(path, addressFormatRefusal(address))) return;
      refused(path, reservedAddressRefusal(address));
      const parts = splitAddress(address)!;
      if (parts.domain !== provider && !declaredDomains.has(parts.domain)) {
        add(
          "error",
          path,
          "unknown_domain",
          `${parts.domain} is neither a declared domain nor the provider's (${provider}); ${didYouMean(parts.domain, [...declaredDomains, provider])}add it under domains`,
        );
      }
      const holder = addresses.get(address);
      if (holder !== undefined) {
        add(
          "error",
          path,
          "address_taken",
          `${address} is already used by ${holder}; an address belongs to one user`,
        );
      } else {
        addresses.set(address, user.login);
      }
    };
    checkAddress(user.email, ["users", i, "email"]);
    user.aliases.forEach((alias) => {
      checkAddress(alias, ["users", i, "aliases", aliasIndex(config, i, alias)]);
    });
    user.groups.forEach((group) => {
      if (!groupNames.has(group)) {
        add(
          "error",
          ["users", i, "groups"],
          "unknown_group",
          `group ${group} is not declared; ${didYouMean(group, [...groupNames])}add it under groups or remove it from ${user.login}`,
        );
      }
    });
    const plan = catalog ? findPlan(catalog, user.plan) : undefined;
    if (catalog && !plan) {
      refused(["users", i, "plan"], unknownPlanRefusal(catalog, user.plan));
    } else if (plan && catalog) {
      refused(["users", i, "aliases"], aliasLimitRefusal(plan, user.login, user.aliases.length));
      if (isPaidPlan(catalog, plan.name)) paid += 1;
      else free += 1;
    }
  });
  if (owners > 1)
    add(
      "error",
      ["users"],
      "conflict",
      "more than one user is marked owner; an organization has exactly one owner",
    );
  if (desired.users.length > 0 && !keepsAdminFloor(activeAdmins)) {
    add(
      "error",
      ["users"],
      "last_org_admin",
      "no active org_admin is listed; an organization keeps at least one at all times",
    );
  } else if (activeAdmins === 1) {
    add(
      "warning",
      ["users"],
      "single_org_admin",
      "only one active org_admin is listed; a second one is strongly recommended",
    );
  }
  const orgPlan =
    catalog && desired.organization.plan ? findOrgPlan(catalog, desired.organization.plan) : undefined;
  if (catalog && desired.organization.plan && !orgPlan) {
    refused(["organization", "plan"], unknownOrgPlanRefusal(catalog, desired.organization.plan));
  }
  if (orgPlan) {
    // Every listed user takes a seat, as if all were created at once; paid and free are reported apart.
    const none = { paid: 0, free: 0 };
    refused(["users"], seatLimitRefusal(orgPlan, none, { paid, free: 0 }));
    refused(["users"], seatLimitRefusal(orgPlan, none, { paid: 0, free }));
    refused(["domains"], domainLimitRefusal(orgPlan, 0, desired.domains.length));
  }
  return issues.sort((a, b) => a.line - b.line || a.col - b.col || a.code.localeCompare(b.code));
}

/** Where a normalized alias stood in the file as written (aliases are deduplicated and sorted on load). */
function aliasIndex(config: LoadedConfig, userIndex: number, alias: string): number {
  const raw = (config.raw as { users?: { aliases?: string[] }[] }).users?.[userIndex]?.aliases ?? [];
  return Math.max(
    0,
    raw.findIndex((a) => a.trim().toLowerCase() === alias),
  );
}

/** `did you mean "eng"? ` when a declared name is close to the one written, else nothing. */
function didYouMean(word: string, names: string[]): string {
  const near = closest(word, names);
  return near && near !== word ? `did you mean "${near}"? Otherwise ` : "";
}
