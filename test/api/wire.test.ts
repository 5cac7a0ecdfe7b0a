/**
 * The JSON the console answers with has one home, src/api/wire.ts: the console's representation renders those
 * types and the client reads them, so no other source file declares a type of the same name.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../support/console.js";

const WIRE = "src/api/wire.ts";
const wireSource = readFileSync(join(REPO, WIRE), "utf8");
const wireTypes = [...wireSource.matchAll(/^export (?:interface|type) (\w+)/gm)].map((m) => m[1]!);
const sources = readdirSync(join(REPO, "src"), { recursive: true, encoding: "utf8" })
  .filter((file) => /\.tsx?$/.test(file))
  .map((file) => `src/${file.split("\\").join("/")}`);

describe("wire types", () => {
  it("are declared in src/api/wire.ts", () => {
    expect(wireTypes).toEqual(
      expect.arrayContaining(["OrgInfo", "UserInfo", "DomainInfo", "GroupInfo", "WalletInfo"]),
    );
  });

  it("are declared nowhere else in src/", () => {
    const duplicates = sources
      .filter((file) => file !== WIRE)
      .flatMap((file) => {
        const text = readFileSync(join(REPO, file), "utf8");
        return wireTypes
          .filter((name) => new RegExp(`^\\s*(?:export )?(?:interface|type) ${name}\\b`, "m").test(text))
          .map((name) => `${file}: ${name}`);
      });
    expect(duplicates).toEqual([]);
  });

  it("are what the console's representation renders and the client reads", () => {
    const representation = readFileSync(join(REPO, "src/console/representation.ts"), "utf8");
    const client = readFileSync(join(REPO, "src/client/console-client.ts"), "utf8");
    expect(representation).toContain('from "../api/wire.js"');
    expect(client).toContain('from "../api/wire.js"');
  });
});
