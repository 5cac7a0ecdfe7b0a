/** Where a JSON text first goes wrong, with our own words and its offset (never the engine's message). */
import { describe, expect, it } from "vitest";
import { firstJsonError } from "../../src/plan/json-syntax.js";

describe("firstJsonError", () => {
  it("accepts valid JSON, deep nesting included", () => {
    expect(firstJsonError('{"a": [1, -2.5e3, true, false, null, "x\\u00e9"], "b": {}}')).toBeNull();
    expect(firstJsonError(`${"[".repeat(100_000)}${"]".repeat(100_000)}`)).toBeNull();
  });

  it.each([
    ['{"a": 1, b: 2}', 9, "a property name in double quotes was expected"],
    ["{a: 1}", 1, "a property name in double quotes was expected"],
    ['{"a" 1}', 5, "a colon after the property name was expected"],
    ['{"a": 1, "b" 2}', 13, "a colon after the property name was expected"],
    ['{"a": }', 6, "a value was expected"],
    ['["x\\q"]', 3, "a bad escape in a string"],
    ["[1, 2", 5, "it ends too early"],
    ["", 0, "the file is empty"],
  ])("%j: at %d, %s", (text, offset, problem) => {
    expect(firstJsonError(text)).toEqual({ offset, problem });
  });
});
