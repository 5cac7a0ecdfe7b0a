/** Password files named in org.yaml are read at apply time: a wrong path fails plainly and never hangs. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveSecret, SecretMissingError } from "../../src/apply/secrets.js";

const dir = mkdtempSync(join(tmpdir(), "orgctl-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(file: string): SecretMissingError {
  try {
    resolveSecret({ file, rotation: null }, dir);
  } catch (error) {
    expect(error).toBeInstanceOf(SecretMissingError);
    return error as SecretMissingError;
  }
  throw new Error("expected resolveSecret to throw");
}

describe("resolveSecret from a file", () => {
  it("reads the file relative to org.yaml's folder, without its final newline", () => {
    writeFileSync(join(dir, "pw.txt"), "s3cret-value\n");
    expect(resolveSecret({ file: "pw.txt", rotation: null }, dir)).toBe("s3cret-value");
  });

  it("refuses a directory plainly (no EISDIR)", () => {
    mkdirSync(join(dir, "folder"));
    const error = failure("folder");
    expect(error.code).toBe("secret_missing");
    expect(error.message).toBe(
      `cannot read the password file ${join(dir, "folder")} (not_a_file); check the path in org.yaml`,
    );
  });

  it("refuses a FIFO and a device instead of hanging on them", () => {
    execFileSync("mkfifo", [join(dir, "pipe")]);
    expect(failure("pipe").message).toContain("(not_a_file)");
    expect(failure("/dev/zero").message).toContain("(not_a_file)");
  });

  it("refuses a file larger than 64 KiB", () => {
    writeFileSync(join(dir, "big.txt"), "x".repeat(64 * 1024 + 1));
    expect(failure("big.txt").message).toContain("(file_too_large)");
  });
});
