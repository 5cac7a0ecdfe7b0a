import type { ConsoleState } from "./model.js";
import { type Refusal, refuse } from "./refusal.js";

const LOCAL_PART = /^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$/;
const DOMAIN_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Routed to the owner by default, movable to any user as an alias. */
export const ROUTED_LOCAL_PARTS = ["support", "postmaster"] as const;
/** Belongs to the provider on every domain. */
export const RESERVED_LOCAL_PART = "abuse";

/** Addresses compare case-insensitively and without surrounding blanks. */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

export function splitAddress(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1) return null;
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/**
 * An address on the provider domain can never go to anyone else [MF]: as an alias it can never be removed,
 * and when its user is deleted it is retired forever. An address on a custom domain is freed instead.
 */
export function isPermanentAddress(state: ConsoleState, address: string): boolean {
  return splitAddress(normalizeAddress(address))?.domain === state.org.provider_domain;
}

/**
 * The custom domain an address is on, which must exist and be verified before the address is used [MF];
 * null on the provider domain, which always exists and needs no verification.
 */
export function customDomainOf(state: ConsoleState, address: string): string | null {
  const domain = splitAddress(normalizeAddress(address))?.domain;
  return domain && domain !== state.org.provider_domain ? domain : null;
}

/**
 * The login whose mailbox `address` is for good: a user's email on the provider domain never goes to another
 * login. Logins never change, and the address is retired with its user [MF], so giving it to a new login is
 * refused (address_taken) while its user exists and after. Null when it is nobody's email, or is on a custom
 * domain (freed when its user is deleted).
 */
export function permanentMailboxOf(state: ConsoleState, address: string): string | null {
  const holder = state.addresses.get(address);
  if (holder?.kind !== "email" || !holder.login || !isPermanentAddress(state, address)) return null;
  return holder.login;
}

/** Aliases on the provider domain can never be removed [MF]. */
export const isPermanentAlias = isPermanentAddress;

/** alias_permanent: why `login` can never lose the alias `address`, or null when it may. */
export function permanentAliasRefusal(state: ConsoleState, login: string, address: string): Refusal | null {
  const normalized = normalizeAddress(address);
  if (!isPermanentAddress(state, normalized)) return null;
  return {
    ...refuse(
      "alias_permanent",
      `${normalized} is on the provider domain; such aliases stay with the user until the user is deleted`,
      { address: normalized },
    ),
    fix: `list ${normalized} among ${login}'s aliases in org.yaml: it goes only when ${login} is deleted`,
  };
}

export function isValidDomainName(name: string): boolean {
  return DOMAIN_NAME.test(name);
}

/** Why `name` cannot be a custom domain of an organization whose provider domain is `provider`, or null. */
export function customDomainNameRefusal(provider: string, name: string): Refusal | null {
  if (!isValidDomainName(name))
    return refuse("invalid", `${name} is not a valid domain name`, { domain: name });
  if (name === provider) {
    return refuse("conflict", `${name} is the provider domain; it always exists and needs no adding`, {
      domain: name,
    });
  }
  return null;
}

/** local-part@domain in lower case, as the console accepts it; says nothing about who holds it. */
export function isWellFormedAddress(address: string): boolean {
  const parts = splitAddress(address);
  return parts !== null && LOCAL_PART.test(parts.local) && isValidDomainName(parts.domain);
}

/** Why an address is not one the console accepts (not local-part@domain in lower case), or null. */
export function addressFormatRefusal(address: string): Refusal | null {
  if (isWellFormedAddress(address)) return null;
  return refuse("invalid", `${address} is not a valid address; use local-part@domain in lower case`, {
    address,
  });
}

/** address_reserved [MF]: `abuse@` of every domain belongs to the provider. */
export function reservedAddressRefusal(address: string): Refusal | null {
  if (splitAddress(address)?.local !== RESERVED_LOCAL_PART) return null;
  return refuse(
    "address_reserved",
    `${address} is reserved by the provider and can never be a user address or an alias; choose another address`,
    { address },
  );
}

/**
 * Checks that an address may be given to `login` (as email or alias): well formed, not reserved, on a
 * domain that exists and is verified, and free console-wide.
 */
export function checkAddressAvailable(state: ConsoleState, address: string, login: string): Refusal | null {
  const malformed = addressFormatRefusal(address) ?? reservedAddressRefusal(address);
  if (malformed) return malformed;
  const parts = splitAddress(address)!;
  if (customDomainOf(state, address) !== null) {
    const domain = state.domains.get(parts.domain);
    if (!domain) {
      return refuse(
        "domain_unverified",
        `${parts.domain} is not a domain of this organization; add and verify it before using ${address}`,
        { address, domain: parts.domain },
      );
    }
    if (domain.status !== "verified") {
      return refuse(
        "domain_unverified",
        `${parts.domain} is not verified yet; publish its TXT record and verify it before using ${address}`,
        {
          address,
          domain: parts.domain,
          txt_record: verificationRecord(parts.domain, domain.verification_token),
        },
      );
    }
  }
  const holder = state.addresses.get(address);
  if (holder) {
    if (holder.kind === "retired") {
      return refuse(
        "address_taken",
        `${address} belonged to a deleted user and is retired forever; choose another`,
        {
          address,
        },
      );
    }
    if (holder.login !== login || holder.kind === "email") {
      return refuse(
        "address_taken",
        `${address} is already used by ${holder.login}; choose another address`,
        {
          address,
          holder: holder.login,
        },
      );
    }
  }
  return null;
}

export interface TxtRecord {
  name: string;
  value: string;
}

/** The DNS TXT record that proves ownership of a custom domain. */
export function verificationRecord(domain: string, token: string): TxtRecord {
  return { name: `_orgctl-verification.${domain}`, value: `orgctl-verification=${token}` };
}

/** Who receives support@ and postmaster@ of each custom domain: whoever holds it, else the owner. */
export function routedAddresses(state: ConsoleState, domain: string): Record<string, string> {
  const routes: Record<string, string> = {};
  for (const local of ROUTED_LOCAL_PARTS) {
    const address = `${local}@${domain}`;
    const holder = state.addresses.get(address);
    routes[address] = holder && holder.kind !== "retired" ? holder.login : state.org.owner;
  }
  return routes;
}
