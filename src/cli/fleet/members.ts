import type { LoadedConfig } from "../../config/load.js";
import { ConfigInvalidError, type ConfigIssue } from "../../config/model.js";
import { loadChecked } from "../config-io.js";

/** One organization of a fleet: its file, loaded, and the slug it names. */
export interface FleetMember {
  file: string;
  slug: string;
  config: LoadedConfig;
  warnings: ConfigIssue[];
}

/** A fleet's file that could not be loaded: its error is that organization's, shown under its file. */
export interface BrokenMember {
  file: string;
  slug: null;
  error: unknown;
}

export type FleetEntry = FleetMember | BrokenMember;

/** What a fleet's organization is called in every output: its slug, or its file when it could not be read. */
export function entryName(entry: FleetEntry): string {
  return entry.slug ?? entry.file;
}

/**
 * Loads every org file of a fleet. A file that cannot be loaded becomes that organization's error (the others
 * go on); a file that names no `organization.slug`, or one another file names too, stops the whole command
 * before anything is read or changed, at the place in the file: which organization it is would be a guess.
 */
export function loadFleet(files: readonly string[]): FleetEntry[] {
  const entries: FleetEntry[] = [];
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let loaded: ReturnType<typeof loadChecked>;
    try {
      // Plan names and limits are checked against each console's live catalog, as for one organization.
      loaded = loadChecked(file, null);
    } catch (error) {
      entries.push({ file, slug: null, error });
      continue;
    }
    const { config, warnings } = loaded;
    const slug = config.desired.organization.slug;
    if (slug === undefined) {
      const at = config.locate(["organization"]);
      issues.push({
        file,
        ...at,
        code: "slug_required",
        message:
          "in a fleet every org file names its organization: add organization.slug (e.g. slug: acme), the " +
          "organization's slug in the console",
        path: "/organization",
        severity: "error",
      });
      continue;
    }
    const at = config.locate(["organization", "slug"]);
    const first = seen.get(slug);
    if (first !== undefined) {
      issues.push({
        file,
        ...at,
        code: "slug_duplicate",
        message: `slug ${slug} is also named by ${first}; every organization of a fleet has its own slug (one file per organization)`,
        path: "/organization/slug",
        severity: "error",
      });
      continue;
    }
    seen.set(slug, `${file}:${at.line}:${at.col}`);
    entries.push({ file, slug, config, warnings });
  }
  if (issues.length > 0) throw new ConfigInvalidError(issues);
  return entries;
}
