/**
 * Fake terminal streams for driving `confirmApply` and `startProgressView` (which render with ink's own
 * `render`, not ink-testing-library's): a stdin that says it is a TTY and records raw mode, a stdout that
 * keeps what was written.
 */
import { EventEmitter } from "node:events";
import { stripVTControlCharacters } from "node:util";

export const plain = (text: string | undefined): string => stripVTControlCharacters(text ?? "");

/** Resolves after pending immediates (ink flushes a lone Escape on the next one). */
export const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Polls until `check` holds (or throws its last error after `ms`). */
export async function waitFor(check: () => void, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

export class FakeStdin extends EventEmitter {
  isTTY: boolean;
  rawModes: boolean[] = [];
  private chunks: string[] = [];
  constructor(isTTY = true) {
    super();
    this.isTTY = isTTY;
  }
  /** Types `data` as one chunk, as a terminal would send it. */
  type(data: string): void {
    this.chunks.push(data);
    this.emit("readable");
  }
  read(): string | null {
    return this.chunks.shift() ?? null;
  }
  setRawMode(on: boolean): this {
    this.rawModes.push(on);
    return this;
  }
  setEncoding(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
}

export class FakeStdout extends EventEmitter {
  isTTY = false;
  columns = 120;
  rows = 40;
  writes: string[] = [];
  write(chunk: string): boolean {
    this.writes.push(chunk);
    return true;
  }
  /** Everything written, without ANSI codes. */
  text(): string {
    return plain(this.writes.join(""));
  }
}

/** The fakes as the Node stream types ink's options want. */
export function streams(stdin = new FakeStdin(), stdout = new FakeStdout()) {
  return {
    stdin,
    stdout,
    options: {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
    },
  };
}
