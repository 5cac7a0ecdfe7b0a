import { timingLine } from "./timing.js";

let staysRunning = false;

/** For `serve`: its work goes on after its action returns, until a signal stops it. */
export function keepRunning(): void {
  staysRunning = true;
}

/**
 * Resolves once everything written to `stream` so far has been handed to the OS. On a pipe, Node writes what
 * the pipe takes and queues the rest: exiting before the queue drains would cut the output short. A reader
 * that went away (`orgctl plan | head`: EPIPE) ends the wait too, without a stack trace.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.once("error", () => resolve());
    stream.write("", () => resolve());
  });
}

/**
 * Ends a command that is done: writes the timing line when asked for, waits until stdout and stderr are
 * flushed, then exits at once with `code`. Waiting for the event loop to empty instead would also wait for
 * whatever was left behind: an idle keep-alive socket, a DNS look-up past its 3 s race, a timer. (V8's
 * background compilation of undici's WASM parser holds even process.exit: see undici-transport.ts.)
 */
export async function finish(code: number): Promise<void> {
  process.exitCode = code;
  if (staysRunning) return;
  const timing = timingLine();
  if (timing) process.stderr.write(timing);
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
