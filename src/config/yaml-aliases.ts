/**
 * Aliases in org.yaml, the same for both readers (`yaml` in load.ts, the fast reader in fast-yaml.ts): the
 * refusals they share, and the alias that names no anchor before it, found the way `yaml`'s Alias.resolve
 * looks (the last node anchored with that name earlier in document order, an enclosing collection included).
 * Pure.
 */
import type { Document } from "yaml";
import { yamlLibrary } from "./yaml-library.js";

export interface AliasRefusal {
  code: string;
  message: string;
}

export function unknownAliasRefusal(name: string): AliasRefusal {
  return {
    code: "unknown_alias",
    message: `the alias *${name} names no anchor defined before it; define &${name} earlier or write the value out`,
  };
}

export function aliasBombRefusal(maxAliasCount: number): AliasRefusal {
  return {
    code: "alias_bomb",
    message: `the file expands too many YAML aliases (more than ${maxAliasCount}); write the values out`,
  };
}

/** The first alias, in document order, with no anchor of its name before it: its name and offset (`*`). */
export function firstUnknownAlias(doc: Document): { name: string; offset: number } | null {
  const { isAlias, isCollection, isScalar, visit } = yamlLibrary();
  const defined = new Set<string>();
  let found: { name: string; offset: number } | null = null;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        if (defined.has(node.source)) return undefined;
        found = { name: node.source, offset: node.range?.[0] ?? 0 };
        return visit.BREAK;
      }
      if ((isScalar(node) || isCollection(node)) && node.anchor) defined.add(node.anchor);
      return undefined;
    },
  });
  return found;
}
