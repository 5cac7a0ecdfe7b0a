import { EventEmitter } from "node:events";
import { resolve } from "node:path";
import {
  type PoolOptions,
  type PoolRunnerInitializer,
  type PoolWorker,
  type TestProject,
  ThreadsPoolWorker,
  type VitestPluginContext,
  type WorkerRequest,
} from "vitest/node";

/*
 * The mutation runs' test pool: one worker thread per Stryker process, kept from one run to the next.
 *
 * Why: Stryker runs every mutant as one vitest run, and vitest ends a run's worker threads when its queue is
 * empty, so each mutant paid for a new thread (vitest's runtime, the environment, every module imported
 * again): 290-355 ms of wall time against milliseconds of tests, most of `npm run mutation`'s 10 minutes.
 * This pool answers vitest's "start" and "stop" for a thread that is already started, and hands the thread
 * to the next run. Each run still gets its own configuration (Stryker filters tests by name per mutant), and
 * `fresh-modules.ts` imports the code under test again whenever the mutant changes, which is what a new
 * thread gave: a mutant of a module-level table ("static") needs its module evaluated with it active.
 * A thread that fails or is stopped mid-run is ended for good, and the next run starts a new one.
 *
 * Used only under Stryker (`STRYKER_MUTATOR_WORKER` is set in its test-runner processes); `npm test` keeps
 * vitest's own pools. `ORGCTL_KEPT_THREADS=0` turns it off, to compare a run with vitest's own thread per
 * mutant. Only vitest's documented custom-pool interface (PoolWorker) is used.
 */

const POOL_NAME = "kept-threads";

interface Kept {
  thread: ThreadsPoolWorker;
  /** The run's worker that vitest talks to now; null between runs. */
  owner: EventEmitter | null;
  started: boolean;
  /** A run or collect request was sent and its answer has not come back. */
  busy: boolean;
}

let kept: Kept | null = null;

const response = (type: "started" | "stopped") => ({ type, __vitest_worker_response__: true });

class KeptThreadWorker implements PoolWorker {
  readonly name = POOL_NAME;
  private readonly events = new EventEmitter();
  private readonly project: TestProject;

  constructor(private readonly options: PoolOptions) {
    this.project = options.project;
  }

  async start(): Promise<void> {
    if (!kept) {
      const thread = new ThreadsPoolWorker(this.options);
      if (process.env.ORGCTL_KEPT_THREADS_DEBUG)
        process.stderr.write(`kept-threads: new thread in ${process.pid}\n`);
      await thread.start();
      const state: Kept = { thread, owner: null, started: false, busy: false };
      thread.on("message", (message: { type?: string; __vitest_worker_response__?: boolean }) => {
        if (message?.__vitest_worker_response__ && message.type === "testfileFinished") state.busy = false;
        state.owner?.emit("message", message);
      });
      thread.on("error", (error: unknown) => state.owner?.emit("error", error));
      thread.on("exit", (code: unknown) => {
        if (kept === state) kept = null;
        state.owner?.emit("exit", code);
      });
      kept = state;
    }
    kept.owner = this.events;
  }

  send(message: WorkerRequest): void {
    const state = kept;
    if (!state) throw new Error("kept-threads: the worker thread is gone");
    if (message.type === "start") {
      if (state.started) {
        queueMicrotask(() => this.events.emit("message", response("started")));
        return;
      }
      state.started = true;
    } else if (message.type === "stop") {
      queueMicrotask(() => this.events.emit("message", response("stopped")));
      return;
    } else if (message.type === "run" || message.type === "collect") {
      // The thread keeps the configuration of its first start; a run reads this one instead.
      // (The worker spreads a request's context over its start context: `config` here wins.)
      const context = { ...message.context, config: this.project.serializedConfig };
      message = { ...message, context } as unknown as WorkerRequest;
      state.busy = true;
    }
    state.thread.send(message);
  }

  async stop(): Promise<void> {
    const state = kept;
    if (!state || state.owner !== this.events) return;
    state.owner = null;
    // Stopped in the middle of a run (a cancel, a failed worker): this thread is not trusted again.
    if (state.busy) await endKeptThread();
  }

  on(event: string, callback: (arg: unknown) => void): void {
    this.events.on(event, callback);
  }

  off(event: string, callback: (arg: unknown) => void): void {
    this.events.off(event, callback);
  }

  deserialize(data: unknown): unknown {
    return data;
  }
}

async function endKeptThread(): Promise<void> {
  const state = kept;
  kept = null;
  if (state) await state.thread.stop();
}

export const keptThreads: PoolRunnerInitializer = {
  name: POOL_NAME,
  createPoolWorker: (options) => new KeptThreadWorker(options),
};

/**
 * A vitest plugin: under Stryker, every project runs in the kept thread and imports its code again for each
 * new mutant (after Stryker's own setup file, which sets the active mutant).
 */
export function keptThreadsUnderStryker(): {
  name: string;
  configureVitest(context: VitestPluginContext): void;
} {
  return {
    name: "orgctl:kept-threads-under-stryker",
    configureVitest({ project, vitest }) {
      if (process.env.STRYKER_MUTATOR_WORKER === undefined || process.env.ORGCTL_KEPT_THREADS === "0") return;
      project.config.pool = POOL_NAME;
      project.config.poolRunner = keptThreads;
      project.config.setupFiles = [...project.config.setupFiles, resolve("test/support/fresh-modules.ts")];
      vitest.onClose(endKeptThread);
    },
  };
}
