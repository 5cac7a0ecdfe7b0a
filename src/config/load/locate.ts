import type { Document, Node } from "yaml";
import { yamlLibrary } from "../yaml-library.js";

export type PathSegment = string | number;

/** Finds the node at `path` (or the deepest existing parent) and returns its position. */
export function locatePath(
  doc: Document,
  path: PathSegment[],
  locate: (offset: number) => { line: number; col: number },
  atKey = false,
): { line: number; col: number } {
  const { isMap, isPair, isScalar } = yamlLibrary();
  let node: unknown = doc.contents;
  let position = node && (node as Node).range ? locate((node as Node).range![0]) : { line: 1, col: 1 };
  for (const [index, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      const key = pair.key as Node;
      node = pair.value;
      const last = index === path.length - 1;
      const target = (atKey && last) || !(node as Node | null)?.range ? key : (node as Node);
      if (target.range) position = locate(target.range[0]);
    } else if (
      node &&
      typeof node === "object" &&
      "items" in node &&
      Array.isArray((node as { items: unknown[] }).items)
    ) {
      const item = (node as { items: unknown[] }).items[Number(segment)];
      if (!item) break;
      node = item;
      if ((node as Node).range) position = locate((node as Node).range![0]);
    } else {
      break;
    }
  }
  return position;
}

/** A JSON pointer (`/users/3/email`) as path segments, numbers for list positions. */
export function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
