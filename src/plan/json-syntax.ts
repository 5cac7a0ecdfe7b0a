/**
 * Where a JSON text first goes wrong, as an offset and a few words, for a located error that does not show
 * the JavaScript engine's own message (which names no position for most mistakes). Iterative, so a hostile
 * text nested a million levels deep cannot overflow the stack. Null when the text is valid JSON.
 */
export function firstJsonError(text: string): { offset: number; problem: string } | null {
  let i = 0;
  const stack: ("object" | "array")[] = [];
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const fail = (problem: string) => ({ offset: Math.min(i, text.length), problem });
  const string = (): string | null => {
    // text[i] is the opening quote
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return null;
      }
      if (c < 0x20) return "a control character inside a string";
      if (c === 92) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return "a bad \\u escape";
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return "a bad escape in a string";
      } else i++;
    }
    return "a string that is never closed";
  };
  /** A property name and its colon, at text[i]; null when they are fine. */
  const propertyName = (): string | null => {
    if (text[i] !== '"') return "a property name in double quotes was expected";
    const bad = string();
    if (bad) return bad;
    ws();
    if (text[i] !== ":") return "a colon after the property name was expected";
    i++;
    return null;
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  // expect: "value" (a value must come), then after it "," or a closer.
  let expectValue = true;
  ws();
  if (i === text.length) return fail("the file is empty");
  for (;;) {
    ws();
    const top = stack[stack.length - 1];
    if (expectValue) {
      if (i >= text.length) return fail("it ends too early");
      const c = text[i]!;
      if (c === "{" || c === "[") {
        stack.push(c === "{" ? "object" : "array");
        i++;
        ws();
        if (text[i] === (c === "{" ? "}" : "]")) {
          stack.pop();
          i++;
          expectValue = false;
          if (stack.length === 0) break;
          continue;
        }
        if (c === "{") {
          const bad = propertyName();
          if (bad) return fail(bad);
        }
        continue;
      }
      if (c === '"') {
        const bad = string();
        if (bad) return fail(bad);
      } else if (text.startsWith("true", i)) i += 4;
      else if (text.startsWith("false", i)) i += 5;
      else if (text.startsWith("null", i)) i += 4;
      else {
        NUMBER.lastIndex = i;
        if (!NUMBER.exec(text)) return fail("a value was expected");
        i = NUMBER.lastIndex;
      }
      expectValue = false;
      if (stack.length === 0) break;
      continue;
    }
    if (i >= text.length) return fail("it ends too early");
    const c = text[i]!;
    if (c === ",") {
      i++;
      ws();
      if (top === "object") {
        const bad = propertyName();
        if (bad) return fail(bad);
      }
      expectValue = true;
      continue;
    }
    if ((c === "}" && top === "object") || (c === "]" && top === "array")) {
      stack.pop();
      i++;
      if (stack.length === 0) break;
      continue;
    }
    return fail(top === "object" ? "a comma or } was expected" : "a comma or ] was expected");
  }
  ws();
  if (i < text.length) return fail("there is more after the end of the plan");
  return null;
}
