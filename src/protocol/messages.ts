/**
 * The wire format between the main thread and a worker thread: a handful of plain messages.
 *
 * Tasks travel in batches, in flat arrays, so that one `postMessage` carries many tasks and one
 * carries many results. Each task a thread receives has a per-thread sequence number `seq`,
 * increasing in send order; results name their task by that number.
 */

import type { MessagePort } from 'node:worker_threads';
import type { WireError } from './errors.js';
import type { FunctionDef } from './functions.js';

/** How a task's payload is applied to its function. */
export const Mode = {
  /** `fn(...payload)`: payload is the argument list. */
  Call: 0,
  /** A `map` chunk: payload is a list of items, `fn(item)` each. */
  Map: 1,
  /** A `starmap` chunk: payload is a list of argument lists, `fn(...args)` each. */
  Starmap: 2,
} as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

/** How a task ended. */
export const Outcome = {
  /** value: the result (for a chunk, the array of results). */
  Ok: 0,
  /** value: the WireError the function threw (for a Call task). */
  Error: 1,
  /** value: a ChunkFailure: some items of a chunk threw. */
  PartialChunk: 2,
  /** value: a chunk's results, all numbers, packed in a transferred Float64Array. */
  OkPacked: 3,
  /** Not a result: seq 0, value what the thread wrote to its stdout (a string or bytes). */
  Stdout: 4,
  /** Not a result: seq 0, value what the thread wrote to its stderr. */
  Stderr: 5,
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export interface ChunkFailure<E = WireError> {
  /** One entry per item; holes (undefined) where the item failed. */
  values: unknown[];
  /** [index within the chunk, error], in index order. */
  failures: [number, E][];
}

/**
 * Main → worker: run these tasks. A flat array, as every object (and every property name) the
 * structured clone meets costs far more than a number: a message of one task is one array of
 * eight entries, not an object holding an array. Task i has seq `firstSeq + i`. Per-task fields
 * that are the same for the whole batch are sent once, and a Call task's arguments are spread
 * into the data entries rather than nested. The functions it names were defined by an earlier
 * DefineMessage (their own message, so that a batch that cannot be read never takes a definition
 * with it).
 */
export type RunMessage = [
  firstSeq: number,
  count: number,
  /** Function id of each task, or one id for all. */
  fns: number[] | number,
  /** Mode of each task, or one mode for all. */
  modes: Mode[] | Mode,
  /**
   * For each task, how many data entries it takes: a Call task's arguments one by one; a chunk
   * task takes exactly one entry (the chunk's items: an array, or a transferred Float64Array when
   * they are all numbers), written as -1. One number for all.
   */
  sizes: number[] | number,
  ...data: unknown[],
];

/** Where a RunMessage's data entries begin. */
export const RUN_DATA = 5;

/**
 * Main → worker: functions this thread will be asked to run, and functions it may forget (no task
 * of this thread uses them any more).
 */
export interface DefineMessage {
  t: 'define';
  defs: FunctionDef[];
  forget: number[] | null;
}

/**
 * Either way: message `n` (counting every message the sender posted on the channel, from 1) could
 * not be deserialized by the receiver (`reason`). The sender knows what it carried and settles it.
 */
export interface LostMessage {
  t: 'lost';
  n: number;
  reason: string;
}

/**
 * Either way: the sender has settled (or sent again) what lost message `n` carried. Until then
 * the receiver counts no message from `n` on as taken, so that the sender keeps it.
 */
export interface ResentMessage {
  t: 'resent';
  n: number;
}

/** Main → worker: write out what is left and exit (a graceful stop). */
export interface StopMessage {
  t: 'stop';
}

export type ToWorker = RunMessage | DefineMessage | LostMessage | ResentMessage | StopMessage;

/** Worker → main: the initializer finished; the thread takes tasks. */
export interface ReadyMessage {
  t: 'ready';
}

/** Worker → main: the initializer threw; the pool is broken. */
export interface InitFailedMessage {
  t: 'init-failed';
  error: WireError;
}

/**
 * Worker → main: these tasks ended. A flat array of (seq, outcome, value) triples, for the same
 * reason as RunMessage; the only message that is an array. What the thread wrote to its stdout
 * and stderr travels in it too (Outcome.Stdout/Stderr), in order, so that it is written before
 * the results that follow it are delivered.
 */
export type ResultsMessage = unknown[];

export type FromWorker =
  | ReadyMessage
  | InitFailedMessage
  | LostMessage
  | ResentMessage
  | ResultsMessage;

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
  /** The claim words shared with the main thread; see `claims.ts`. */
  control: SharedArrayBuffer;
  /** The process-wide count of awake threads; see `activity.ts`. */
  activity: SharedArrayBuffer;
  /** CPU cores the process may use. */
  cores: number;
  initializer: FunctionDef | null;
  initargs: readonly unknown[];
  /** The main thread runs under `--import tsx`: install tsx's hooks before importing a task module. */
  typescriptLoader: boolean;
}
