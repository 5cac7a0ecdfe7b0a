import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import type { LiveSnapshot } from "../client/console-client.js";
import { packageRoot } from "../package-root.js";
import { CliError } from "./errors.js";
import { checkOutPath, writeOut } from "./files.js";

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
    domains: [...snapshot.domains]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((d) => ({ name: d.name })),
    groups: [...snapshot.groups]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((g) => (g.description ? { name: g.name, description: g.description } : { name: g.name })),
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
  doc.commentBefore = ` yaml-language-server: $schema=${schemaRef}\n Imported from the live console by \`orgctl import\`. Passwords are never exported:\n add password: {env: VAR} or {file: path} to manage them.`;
  return doc.toString({ lineWidth: 0 });
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
      "\nExit codes:\n  0  written\n  1  error (unreachable console, --out exists without --overwrite)",
    )
    .action(async (flags: TargetFlags & { out?: string; overwrite?: boolean }) => {
      if (flags.out) checkOutPath(flags.out, IMPORT_OUT);
      if (flags.out && existsSync(flags.out) && !flags.overwrite) {
        throw new CliError("file_exists", `${flags.out} exists; pass --overwrite to replace it`);
      }
      const target = await openTarget(flags, null);
      try {
        const snapshot = await target.client.readLive();
        const schema = join(packageRoot(), "schemas", "org.schema.json");
        const schemaRef = flags.out ? relative(dirname(resolve(flags.out)), schema) : schema;
        const text = await importDocument(snapshot, schemaRef);
        if (flags.out) writeOut(flags.out, text, IMPORT_OUT);
        else process.stdout.write(text);
      } finally {
        await target.close();
      }
    });
}
