/** `orgctl serve` refuses a bootstrap token too weak to guard the owner's account, before it touches the database. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hasStackTrace, runCli } from "../support/cli.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("serve: the bootstrap token", () => {
  for (const [what, token] of [
    ["short", "xyz"],
    ["31 characters", "Ab3-Cd4-Ef5-Gh6-Ij7-Kl8-Mn9-Op"],
    ["few distinct characters", "abababababababababababababababababab"],
    ["with a space", "Ab3 Cd4 Ef5 Gh6 Ij7 Kl8 Mn9 Op0 Qr1"],
  ]) {
    it(`refuses a ${what} one with a clear message, never echoing it, and creates no database`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "orgctl-serve-token-"));
      dirs.push(dir);
      const db = join(dir, "console.db");
      const result = await runCli(["serve", "--db", db, "--port", "0"], {
        env: { ORGCTL_BOOTSTRAP_TOKEN: token! },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/weak_token: ORGCTL_BOOTSTRAP_TOKEN/);
      expect(result.stderr).toMatch(/openssl rand -base64 32/);
      expect(result.stderr).not.toContain(token);
      expect(hasStackTrace(result.stderr)).toBe(false);
      expect(existsSync(db)).toBe(false);
    });
  }
});
