/**
 * The codes a task carries on the wire: how its payload is applied (Mode) and how it ended
 * (Outcome). The message kinds (run-batch.ts, results.ts) and both sides use them.
 */
import type { WireError } from './errors.js';

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

/**
 * What a task asks of its thread besides running, sent in the high bits of its mode (so a task
 * without any costs nothing on the wire): an AbortSignal for `signal()` (it may be aborted), a
 * word when it starts (its running time is limited), its `progress()` values sent back.
 */
export const TaskFlags = {
  Abortable: 4,
  Timed: 8,
  Progress: 16,
} as const;
/**
 * In the high bits of a chunk's wire mode too, but not one of its TaskFlags (it asks nothing of
 * the thread's control): a chunk of a map's default chunksize, whose unstarted items the thread
 * may run in free slots beside it (see run/chunk-run.ts). A chunksize the caller chose is kept.
 */
export const DIVISIBLE = 32;
/** The bits of a wire mode that are the Mode itself. */
export const MODE_BITS = 3;

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
  /**
   * Not a result: value when the thread started task `seq` (ms on its monotonic clock,
   * `process.hrtime`). Such entries end a batch, after its results.
   */
  Started: 6,
  /**
   * Not a result: a value the task passed to `progress()`, serialized in the thread (so that one
   * that cannot be cloned throws there, in the task). Its task's result comes after it.
   */
  Progress: 7,
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/**
 * Added to an outcome on a child process's channel: the value is sealed, serialized by the child
 * itself, for the pool to read in its own code (see worker/ipc-port.ts and
 * processes/sealed-values.ts).
 */
export const SEALED = 64;

export interface ChunkFailure<E = WireError> {
  /** One entry per item; holes (undefined) where the item failed. */
  values: unknown[];
  /** [index within the chunk, error], in index order. */
  failures: [number, E][];
}
