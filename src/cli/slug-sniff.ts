import { readFileSync } from "node:fs";

/*
 * org.yaml's `organization.slug`, read from the file's first bytes before the file is parsed, so that plan can
 * read the right organization of a remote console while it parses (planning.ts). Only a hint: the parsed file
 * decides, and a miss (or a wrong guess) only costs reading the organization again.
 */

const SNIFF_BYTES = 64 * 1024;
const SLUG = `["']?([a-z0-9][a-z0-9-]*)["']?`;
/** `organization:` as a block, up to the next top-level key. */
const BLOCK = /^organization[ \t]*:[ \t]*(?:#.*)?\r?\n((?:(?:[ \t]+.*|[ \t]*(?:#.*)?)(?:\r?\n|$))*)/m;
const BLOCK_SLUG = new RegExp(String.raw`^[ \t]+slug[ \t]*:[ \t]*${SLUG}[ \t]*(?:#.*)?$`, "m");
/** `organization: { name: X, slug: y }` on one line. */
const FLOW = new RegExp(String.raw`^organization[ \t]*:[ \t]*\{[^}\n]*\bslug[ \t]*:[ \t]*${SLUG}`, "m");

/** The slug `text` names in its organization block, or undefined when it names none (or it cannot tell). */
export function slugIn(text: string): string | undefined {
  const block = BLOCK.exec(text);
  const found = (block ? BLOCK_SLUG.exec(block[1]!) : null) ?? FLOW.exec(text);
  return found?.[1];
}

/** `slugIn` of the start of `file`; undefined when it cannot be read (the parse reports why). */
export function sniffSlug(file: string): string | undefined {
  try {
    return slugIn(readFileSync(file).subarray(0, SNIFF_BYTES).toString("utf8"));
  } catch {
    return undefined;
  }
}
