import { Writable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BatchedLines, LINE_DELAY_MS } from "../../src/cli/batched-lines.js";

function sink(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString("utf8"));
      callback();
    },
  });
  return { stream, writes };
}

describe("BatchedLines", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes the lines of one moment together, in order, within LINE_DELAY_MS", () => {
    vi.useFakeTimers();
    const { stream, writes } = sink();
    const lines = new BatchedLines(stream);
    lines.write("a");
    lines.write("b");
    lines.write("c");
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(LINE_DELAY_MS);
    expect(writes).toEqual(["a\nb\nc\n"]);
    lines.write("d");
    vi.advanceTimersByTime(LINE_DELAY_MS);
    expect(writes).toEqual(["a\nb\nc\n", "d\n"]);
  });

  it("writes at once a line marked now, with every line before it", () => {
    vi.useFakeTimers();
    const { stream, writes } = sink();
    const lines = new BatchedLines(stream);
    lines.write("first", true);
    expect(writes).toEqual(["first\n"]);
    lines.write("step");
    lines.write("last", true);
    expect(writes).toEqual(["first\n", "step\nlast\n"]);
    vi.advanceTimersByTime(LINE_DELAY_MS * 2);
    expect(writes).toHaveLength(2);
  });

  it("flush writes what is pending, and nothing when nothing is", () => {
    vi.useFakeTimers();
    const { stream, writes } = sink();
    const lines = new BatchedLines(stream);
    lines.flush();
    lines.write("x");
    lines.flush();
    lines.flush();
    expect(writes).toEqual(["x\n"]);
    vi.advanceTimersByTime(LINE_DELAY_MS);
    expect(writes).toEqual(["x\n"]);
  });

  it("does not hold more than about 16 KiB", () => {
    vi.useFakeTimers();
    const { stream, writes } = sink();
    const lines = new BatchedLines(stream);
    const line = "y".repeat(1023);
    for (let i = 0; i < 16; i++) lines.write(line);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toBe(`${Array(16).fill(line).join("\n")}\n`);
  });
});
