/**
 * A task as the main thread tracks it, from issue to settlement, and the job it reports to (one
 * per issuing call: an AsyncResult, a map, an imap, a Future). The carrier that runs it is a
 * ThreadHandle (threads/thread-handle.ts).
 */

import type { CallControl } from '../control/call-control.js';
import type { TimeoutGroup } from '../control/timeout-groups.js';
import type { AnyFunction, FunctionRecord } from '../functions/functions.js';
import type { Transferable } from '../options/types.js';
import type { Mode, Outcome } from '../protocol/messages.js';

export const TaskState = {
  Queued: 0,
  Dispatched: 1,
  Settled: 2,
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

/** The job hook's name: a symbol, so that a public class (AsyncResult) can be a job without
 * offering its users a way to settle it. */
export const SETTLE: unique symbol = Symbol('spindle.settle');

/**
 * Receives the outcome of each of its tasks exactly once. `value` is decoded: an Error object for
 * Outcome.Error, `{ values, failures: [index, Error][] }` for Outcome.PartialChunk.
 */
export interface Job {
  [SETTLE](task: Task, outcome: Outcome, value: unknown): void;
  /** A map whose chunks are of the default chunksize: their items may be helped along. */
  readonly divisible?: boolean;
  /**
   * Whether this task of the job may be cut into pieces (see lastWavePieceSize in
   * dispatch-policy.ts): a chunk of a map of the default chunksize, not itself a piece.
   */
  splittable?(task: Task): boolean;
  /**
   * Replaces a queued chunk that `splittable` allows by tasks of at most `size` of its items, in
   * order, which settle the job in its place: the chunk itself never settles. Only for a chunk
   * that is queued, with no control and nothing transferred. Never throws (it runs inside the
   * scheduler): a chunk it cannot cut comes back alone, as it was, and `splittable` then refuses
   * it.
   */
  split?(chunk: Task, size: number): Task[];
}

/** What a task knows of the carrier it was sent to (the engine knows it as a ThreadHandle). */
export interface TaskCarrier {
  /** Whether this task, sent to it, has started. */
  hasStarted(task: Task): boolean;
}

/**
 * What few tasks have: kept apart so that the many plain tasks in flight stay small (a field
 * costs 8 bytes in every task; 200,000 in flight are common).
 */
interface TaskExtra {
  queuedAt: number;
  startedAt: number;
  control: CallControl | undefined;
  transfer: readonly Transferable[] | undefined;
  timeoutGroup: TimeoutGroup | undefined;
  timeoutIndex: number;
}

export class Task {
  state: TaskState = TaskState.Queued;
  /** Per-thread sequence number, once dispatched. */
  seq = 0;
  /** The carrier it was sent to (a ThreadHandle, see threads/thread-handle.ts), while it is there. */
  thread: TaskCarrier | null = null;
  /** How many calls of the function it stands for: 1, or a chunk's items (see stats.ts). */
  calls = 1;
  /** What it asks of its thread besides running (protocol TaskFlags), from `control`. */
  flags = 0;
  #extra: TaskExtra | undefined = undefined;

  constructor(
    readonly fn: AnyFunction,
    readonly record: FunctionRecord,
    readonly mode: Mode,
    /** Dropped once settled, so a finished task does not keep its arguments alive. */
    public payload: unknown,
    transfer: readonly Transferable[] | undefined,
    public job: Job | null,
    /** Position of this task within its job (chunk number for maps). */
    readonly index: number,
  ) {
    if (transfer !== undefined) this.#more().transfer = transfer;
  }

  /**
   * A map chunk of the default chunksize, whose items may run side by side (protocol DIVISIBLE):
   * its job says so, so that no task carries a field for it.
   */
  get divisible(): boolean {
    return this.job?.divisible === true;
  }

  #more(): TaskExtra {
    this.#extra ??= {
      queuedAt: 0,
      startedAt: 0,
      control: undefined,
      transfer: undefined,
      timeoutGroup: undefined,
      timeoutIndex: 0,
    };
    return this.#extra;
  }

  /** When it was issued (with `timings` only), in main-thread ms; 0: not known. */
  get queuedAt(): number {
    return this.#extra === undefined ? 0 : this.#extra.queuedAt;
  }
  set queuedAt(ms: number) {
    if (ms !== 0 || this.#extra !== undefined) this.#more().queuedAt = ms;
  }

  /** When it started on its carrier (with `timings` only), in main-thread ms; 0: not known. */
  get startedAt(): number {
    return this.#extra === undefined ? 0 : this.#extra.startedAt;
  }
  set startedAt(ms: number) {
    if (ms !== 0 || this.#extra !== undefined) this.#more().startedAt = ms;
  }

  /** Its call's signal, timeout and onProgress (control/call-control.ts); none for most tasks. */
  get control(): CallControl | undefined {
    return this.#extra?.control;
  }
  set control(control: CallControl | undefined) {
    if (control !== undefined || this.#extra !== undefined) this.#more().control = control;
  }

  /** The tasks whose time limit one timer watches with this one's (control/timeout-groups.ts). */
  get timeoutGroup(): TimeoutGroup | undefined {
    return this.#extra?.timeoutGroup;
  }
  set timeoutGroup(group: TimeoutGroup | undefined) {
    if (group !== undefined || this.#extra !== undefined) this.#more().timeoutGroup = group;
  }

  /** Its place in its timeout group. */
  get timeoutIndex(): number {
    return this.#extra === undefined ? 0 : this.#extra.timeoutIndex;
  }
  set timeoutIndex(index: number) {
    this.#more().timeoutIndex = index;
  }

  /** Buffers moved rather than copied to its thread; dropped once settled. */
  get transfer(): readonly Transferable[] | undefined {
    return this.#extra?.transfer;
  }
  set transfer(transfer: readonly Transferable[] | undefined) {
    if (transfer !== undefined || this.#extra !== undefined) this.#more().transfer = transfer;
  }
}
