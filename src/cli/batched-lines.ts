/** How long a progress line may wait before it is written, at most, in ms. */
export const LINE_DELAY_MS = 50;
/** Pending lines are written at once when they pass this many characters. */
const MAX_PENDING_CHARS = 16 * 1024;

/**
 * Apply's progress lines, written to stdout together at most every LINE_DELAY_MS instead of one write each.
 * On Linux a write to a pipe or a file is a synchronous system call that also wakes the reader: at two events
 * per step it was a quarter of apply's own CPU time per step (measured by CPU profile against `orgctl serve`),
 * and it ran between a step's answer and the start of the next step. Lines keep their order; `write(line,
 * true)` and `flush()` write what is pending at once: apply does so for its first and last events and on
 * every way out, so nothing is held back when apply starts, ends or fails.
 */
export class BatchedLines {
  #pending: string[] = [];
  #chars = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  /** Queues one line (without its newline); `now` writes it, and every line before it, at once. */
  write(line: string, now = false): void {
    this.#pending.push(line);
    this.#chars += line.length + 1;
    if (now || this.#chars >= MAX_PENDING_CHARS) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), LINE_DELAY_MS);
  }

  /** Writes every pending line now, in order. */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending.length === 0) return;
    const text = `${this.#pending.join("\n")}\n`;
    this.#pending = [];
    this.#chars = 0;
    this.stream.write(text);
  }
}
