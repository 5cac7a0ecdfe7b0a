/**
 * `orgctl import` writes a `# yaml-language-server: $schema=` path that resolves for a teammate who clones the
 * config repo and runs `npm ci`, wherever orgctl happened to be installed on the machine that ran import.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schemaModeline } from "../../src/cli/import.js";
import { REPO_ROOT } from "../support/cli.js";

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "orgctl-modeline-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function configRepo(name: string, withInstall: boolean): string {
  const repo = join(root, name);
  mkdirSync(join(repo, "infra"), { recursive: true });
  writeFileSync(
    join(repo, "package.json"),
    JSON.stringify({ private: true, devDependencies: { orgctl: "file:orgctl-0.1.0.tgz" } }),
  );
  if (withInstall) {
    mkdirSync(join(repo, "node_modules", "orgctl", "schemas"), { recursive: true });
    writeFileSync(join(repo, "node_modules", "orgctl", "package.json"), '{"name":"orgctl"}');
  }
  return repo;
}

describe("the $schema modeline of an imported org.yaml", () => {
  it("points into the config repo's node_modules when orgctl is installed there", () => {
    const repo = configRepo("installed", true);
    const orgctl = join(repo, "node_modules", "orgctl");
    expect(schemaModeline(repo, orgctl)).toEqual({
      ref: "node_modules/orgctl/schemas/org.schema.json",
      portable: true,
    });
    expect(schemaModeline(join(repo, "infra"), orgctl).ref).toBe(
      "../node_modules/orgctl/schemas/org.schema.json",
    );
  });

  it("points into the config repo's node_modules even when another orgctl (global, npx, a checkout) ran", () => {
    const repo = configRepo("declared", false);
    expect(schemaModeline(join(repo, "infra"), join(root, "elsewhere", "orgctl"))).toEqual({
      ref: "../node_modules/orgctl/schemas/org.schema.json",
      portable: true,
    });
    expect(schemaModeline(join(repo, "infra"), REPO_ROOT).ref).toBe(
      "../node_modules/orgctl/schemas/org.schema.json",
    );
  });

  it("inside the orgctl repo (examples), points at the repo's schemas/", () => {
    expect(schemaModeline(join(REPO_ROOT, "examples", "family"), REPO_ROOT)).toEqual({
      ref: "../../schemas/org.schema.json",
      portable: true,
    });
  });

  it("with no config repo to point into, says the path is this machine's only", () => {
    const lone = join(root, "lone");
    mkdirSync(lone, { recursive: true });
    expect(schemaModeline(lone, REPO_ROOT)).toEqual({
      ref: `${REPO_ROOT.split("\\").join("/")}/schemas/org.schema.json`,
      portable: false,
    });
  });
});
