/** `--help` tells every exit code a script can meet. */
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

describe("help", () => {
  it("orgctl --help lists 0, 1 (with a 'no' at the prompt), 2 and 130", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\s+130\s+apply interrupted with Ctrl-C/m);
    expect(result.stdout).toContain(`"no" at apply's prompt`);
    expect(result.stdout).toContain("apply done with steps");
  });

  it("orgctl apply --help names exit 2 for blocked steps", async () => {
    const result = await runCli(["apply", "--help"]);
    expect(result.stdout).toMatch(/^\s+2\s+every step that could run is done, but steps blocked/m);
  });
});
