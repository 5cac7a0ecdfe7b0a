/** Validation messages speak plain words: no regular expressions, a lower-case hint where it helps. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { ConfigInvalidError } from "../../src/config/model.js";

function issuesOf(yaml: string): string[] {
  try {
    parseConfig(new TextEncoder().encode(yaml), "org.yaml");
  } catch (error) {
    if (error instanceof ConfigInvalidError)
      return error.issues.map((i) => `${i.line}:${i.col} ${i.code}: ${i.message}`);
    throw error;
  }
  return [];
}

describe("pattern errors in plain words", () => {
  it("a bad login, group, domain and email say what is expected, never the regex", () => {
    const issues = issuesOf(`version: 1
organization: { name: X }
domains:
  - name: Example.ORG
groups:
  - name: "bad group"
users:
  - login: Bob
    first_name: B
    last_name: C
    email: not-an-address
    plan: free
    role: org_admin
`);
    const text = issues.join("\n");
    expect(text).not.toMatch(/\^|\(\?:|must match pattern/);
    expect(text).toContain(
      "\"Bob\" is not 1 to 64 lower-case letters, digits, '.', '_' or '-', starting and ending with a letter or digit; use lower case: bob",
    );
    expect(text).toContain('"Example.ORG" is not a domain name in lower case, such as example.org');
    expect(text).toContain('"not-an-address" is not an email address such as name@example.org');
    expect(text).toContain('"bad group" is not 1 to 64 lower-case letters');
  });
});
