import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Command } from "commander";
import type { LiveSnapshot } from "../client/console-client.js";
import { DEFAULT_POLICY } from "../config/model.js";
import { packageRoot } from "../package-root.js";
import { CliError } from "./errors.js";
import { checkOutPath, writeOut } from "./files.js";
import { importedRecords } from "./import-records.js";

const IMPORT_OUT = { what: "a file to write org.yaml to", fix: "pass --out FILE with a file name" };

import { endpointOption, openTarget, sandboxOption, type TargetFlags } from "./target.js";

/** The live console as an org.yaml document. Secrets are never written: passwords are left out. Pure. */
export async function importDocument(snapshot: LiveSnapshot, schemaRef: string): Promise<string> {
  const { Document } = await import("yaml");
  const org = snapshot.org;
  const users = [...snapshot.users].sort((a, b) => a.login.localeCompare(b.login));
  const value = {
    version: 1,
    organization: { name: org.name, plan: org.plan, provider_domain: org.provider_domain },
    // The policy the planner assumes, written out so that nobody has to know the defaults.
    policy: { ignore_profile_fields: [...DEFAULT_POLICY.ignore_profile_fields].sort() },
    domains: [...snapshot.domains]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((d) => ({ name: d.name })),
    groups: [...snapshot.groups]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((g) => (g.description ? { name: g.name, description: g.description } : { name: g.name })),
    ...importedRecords(snapshot),
    users: users.map((u) => {
      const entry: Record<string, unknown> = {
        login: u.login,
        first_name: u.first_name,
        last_name: u.last_name,
        email: u.email,
        plan: u.plan,
        role: u.role,
      };
      if (u.status === "disabled") entry.status = "disabled";
      if (u.owner) entry.owner = true;
      if (u.aliases.length > 0) entry.aliases = [...u.aliases].sort();
      if (u.groups.length > 0) entry.groups = [...u.groups].sort();
      if (Object.keys(u.profile).length > 0)
        entry.profile = Object.fromEntries(Object.entries(u.profile).sort());
      return entry;
    }),
  };
  const doc = new Document(value);
  const { annotateActivity } = await import("./import-activity.js");
  annotateActivity(doc, users);
  doc.commentBefore = ` yaml-language-server: $schema=${schemaRef}\n Imported from the live console by \`orgctl import\`. Passwords are never exported:\n add password: {env: VAR} or {file: path} to manage them. "read-only:" comments are facts from the\n console (last login, pending invitations) that orgctl never plans.`;
  return doc.toString({ lineWidth: 0 });
}

const SCHEMA_IN_PACKAGE = ["schemas", "org.schema.json"];

/** True when the package.json in `dir` lists orgctl as a dependency (installed or not yet). */
function declaresOrgctl(dir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    return ["dependencies", "devDependencies", "optionalDependencies"].some(
      (field) =>
        typeof manifest[field] === "object" && manifest[field] !== null && "orgctl" in manifest[field],
    );
  } catch {
    return false;
  }
}

const posix = (path: string) => path.split(sep).join("/");

/**
 * The `$schema` path written into an imported org.yaml in `outDir`, chosen so that it resolves for everyone
 * who clones the config repo, not only on this machine:
 * 1. a file inside the orgctl repo itself (e.g. examples/): relative to the repo's `schemas/org.schema.json`;
 * 2. the config repo's own install: the nearest folder at or above `outDir` whose package.json lists orgctl,
 *    or that has node_modules/orgctl, gives `…/node_modules/orgctl/schemas/org.schema.json` (there after
 *    `npm ci`);
 * 3. otherwise the absolute path of the schema of the orgctl that runs, which only this machine has
 *    (`portable: false`, and the caller says so).
 */
export function schemaModeline(outDir: string, orgctlRoot: string): { ref: string; portable: boolean } {
  const schema = join(orgctlRoot, ...SCHEMA_IN_PACKAGE);
  const inside = relative(orgctlRoot, outDir);
  const installed = orgctlRoot.split(sep).includes("node_modules");
  if (!installed && !inside.startsWith("..") && !isAbsolute(inside)) {
    return { ref: posix(relative(outDir, schema)), portable: true };
  }
  for (let dir = outDir; ; dir = dirname(dir)) {
    if (declaresOrgctl(dir) || existsSync(join(dir, "node_modules", "orgctl", "package.json"))) {
      return {
        ref: posix(relative(outDir, join(dir, "node_modules", "orgctl", ...SCHEMA_IN_PACKAGE))),
        portable: true,
      };
    }
    if (dirname(dir) === dir) break;
  }
  return { ref: posix(schema), portable: false };
}

export function registerImport(program: Command): void {
  program
    .command("import")
    .description(
      "write the live console as org.yaml (planning it gives no changes; passwords are never written)",
    )
    .option("--out <file>", "where to write it (default: standard output)")
    .option("--overwrite", "replace --out if it exists")
    .addOption(endpointOption())
    .addOption(sandboxOption())
    .addHelpText(
      "after",
      `
Target: --endpoint URL (or ORGCTL_ENDPOINT) with ORGCTL_TOKEN; without one, the embedded sandbox console
in .orgctl/sandbox.db in the current directory (--sandbox FILE or ORGCTL_SANDBOX moves it). When CI is set,
name one: ORGCTL_ENDPOINT, or --sandbox FILE.

The file starts with a yaml-language-server $schema comment that resolves after npm ci: into the config
repo's node_modules/orgctl when its package.json lists orgctl (see the README).

Exit codes:
  0  written
  1  error (unreachable console, --out exists without --overwrite)`,
    )
    .action(async (flags: TargetFlags & { out?: string; overwrite?: boolean }) => {
      if (flags.out) checkOutPath(flags.out, IMPORT_OUT);
      if (flags.out && existsSync(flags.out) && !flags.overwrite) {
        throw new CliError("file_exists", `${flags.out} exists; pass --overwrite to replace it`);
      }
      const target = await openTarget(flags, null);
      try {
        const snapshot = await target.client.readLive();
        const schema = schemaModeline(dirname(resolve(flags.out ?? "org.yaml")), packageRoot());
        const text = await importDocument(snapshot, schema.ref);
        if (flags.out) writeOut(flags.out, text, IMPORT_OUT);
        else process.stdout.write(text);
        process.stderr.write(
          `orgctl: imported ${snapshot.org.name} (revision ${snapshot.org.revision}) from ${target.label}` +
            `${flags.out ? ` into ${flags.out}` : ""}\n`,
        );
        if (!schema.portable) {
          process.stderr.write(
            `orgctl: note: its $schema comment points to ${schema.ref}, which only this machine has; add ` +
              "orgctl to the config repo (npm i -D ./orgctl-X.Y.Z.tgz) and import again for a path that " +
              "works after npm ci\n",
          );
        }
      } finally {
        await target.close();
      }
    });
}
