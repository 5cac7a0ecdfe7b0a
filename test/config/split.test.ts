import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseYamlText, splitUsers } from "../../src/config/load.js";

const agency = readFileSync(join(import.meta.dirname, "..", "..", "examples", "agency", "org.yaml"), "utf8");

describe("cutting a large org.yaml for parallel parsing", () => {
  it("gives the same value as parsing the whole file", () => {
    const split = splitUsers(agency);
    expect(split).not.toBeNull();
    const head = parseYamlText(split!.head, "org.yaml").value as Record<string, unknown>;
    const halves = split!.halves.map((half) => parseYamlText(half, "org.yaml").value as unknown[]);
    expect(halves[0]!.length).toBeGreaterThan(100);
    expect(halves[1]!.length).toBeGreaterThan(100);
    const joined = { ...head, users: halves.flat() };
    const whole = parseYamlText(agency, "org.yaml").value;
    expect(JSON.stringify(joined)).toBe(JSON.stringify(whole));
  });

  it("cuts only between list items of the users block", () => {
    const text =
      "version: 1\nusers:\n  - login: a\n    groups:\n      - x\n  - login: b\n  - login: c\n  - login: d\ngroups:\n  - name: x\n";
    const split = splitUsers(text)!;
    expect(split.head).toBe("version: 1\nusers: []\ngroups:\n  - name: x\n");
    expect(split.halves).toEqual([
      "  - login: a\n    groups:\n      - x\n  - login: b\n",
      "  - login: c\n  - login: d\n",
    ]);
  });

  it("declines files it cannot cut safely", () => {
    expect(splitUsers("version: 1\nusers: [{login: a}, {login: b}]\n")).toBeNull();
    expect(splitUsers("version: 1\nusers:\n  - &a {login: a}\n  - *a\n")).toBeNull();
    expect(splitUsers("version: 1\norganization: {name: x}\n")).toBeNull();
    expect(splitUsers("users:\n  - login: a\n")).toBeNull();
  });
});
