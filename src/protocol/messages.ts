/**
 * The wire format between the main thread and a worker thread: a handful of plain messages, each
 * kind with its encoder and decoder side by side in a file of its own (run-batch.ts, results.ts,
 * control.ts), and what they share here.
 *
 * Tasks travel in batches, in flat arrays, so that one `postMessage` carries many tasks and one
 * carries many results. Each task a thread receives has a per-thread sequence number `seq`,
 * increasing in send order; results name their task by that number.
 */

import type { MessagePort } from 'node:worker_threads';
import type { ControlFromWorker, ControlToWorker } from './control.js';
import type { FunctionDef } from './functions.js';
import type { ResultsMessage } from './results.js';
import type { RunMessage } from './run-batch.js';

export type { ChunkFailure } from './outcomes.js';
export { MODE_BITS, Mode, Outcome, TaskFlags } from './outcomes.js';

export type ToWorker = RunMessage | ControlToWorker;
export type FromWorker = ResultsMessage | ControlFromWorker;

/** What a thread is given when it starts (its `workerData`). */
export interface ThreadBootData {
  name: string;
  /**
   * The pool's own channel with the thread. Task code never reaches it (the thread takes it out
   * of its `workerData`): what a task posts on `parentPort` is never taken for the pool's.
   */
  port: MessagePort | undefined;
  /** Task slots of this thread: how many tasks it may run at once. */
  quota: number;
  /** The words shared with the main thread; see `control-words.ts`. */
  control: SharedArrayBuffer;
  initializer: FunctionDef | null;
  initargs: readonly unknown[];
  /** The tsx the main thread runs under (`tsx/esm/api`'s URL), to register before a task module. */
  typescriptLoader: string | null;
  /** Report when each task starts, for the pool's timings (the `timings` option). */
  timings: boolean;
  /**
   * Memory shared with the main thread where the thread copies the results it holds before a task
   * that may be aborted (see held-results.ts); absent where nothing is shared (a child process).
   */
  heldResults?: SharedArrayBuffer;
  /**
   * Memory shared with the main thread where the thread writes when it started each running task
   * that has a time limit (see start-times.ts); absent where nothing is shared (a child process,
   * which posts a `started` message instead).
   */
  startTimes?: SharedArrayBuffer;
}
