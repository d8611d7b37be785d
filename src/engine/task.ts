/**
 * A task as the main thread tracks it, from issue to settlement, and the two interfaces around
 * it: the job a task reports to (one per issuing call: an AsyncResult, a map, an imap, a Future),
 * and the thread that runs it (a worker thread, or the main thread with `threads: 0`).
 */

import type { AnyFunction, FunctionRecord } from '../functions/functions.js';
import type { Transferable } from '../options.js';
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
}

export class Task {
  state: TaskState = TaskState.Queued;
  /** Per-thread sequence number, once dispatched. */
  seq = 0;
  thread: PoolThread | null = null;

  constructor(
    readonly fn: AnyFunction,
    readonly record: FunctionRecord,
    readonly mode: Mode,
    /** Dropped once settled, so a finished task does not keep its arguments alive. */
    public payload: unknown,
    public transfer: readonly Transferable[] | undefined,
    public job: Job | null,
    /** Position of this task within its job (chunk number for maps). */
    readonly index: number,
  ) {}
}

export const ThreadState = {
  Starting: 0,
  Ready: 1,
  /** Takes no more tasks; stops once its outstanding tasks are done. */
  Retiring: 2,
  Stopping: 3,
} as const;
export type ThreadState = (typeof ThreadState)[keyof typeof ThreadState];

/** What a thread tells the engine. */
export interface ThreadHost {
  threadReady(thread: PoolThread): void;
  /** `results`: (seq, outcome, decoded value) triples. */
  threadResults(thread: PoolThread, results: unknown[]): void;
  threadInitFailed(thread: PoolThread, error: unknown): void;
  threadExited(thread: PoolThread, exitCode: number, error: unknown): void;
  /** A task could not be sent (its arguments cannot be cloned): it fails alone. */
  taskFailed(task: Task, error: unknown): void;
}

/** The main thread's handle on a thread that runs tasks. */
export interface PoolThread {
  readonly name: string;
  /** Index of its task-slot share (see Engine). */
  readonly slot: number;
  /** How many tasks it may run at once. */
  readonly quota: number;
  state: ThreadState;
  /** Tasks sent and not yet settled, by seq, in seq order. */
  readonly outstanding: Map<number, Task>;
  /** Tasks sent since it started (minus those taken back), for maxTasksPerThread. */
  dispatched: number;
  /** The seq the next task will get. */
  readonly nextSeq: number;
  /** `backlog`: the pool still has tasks waiting after this batch. */
  send(tasks: Task[], backlog: boolean): void;
  /** How many sent tasks have not started. */
  unstarted(): number;
  /** Whether this outstanding task has started. */
  hasStarted(task: Task): boolean;
  /** Whether it has started a task that has not reported back yet. */
  isBusy(): boolean;
  /** How many tasks it has started that have not reported back yet. */
  running(): number;
  /** The seq of the task whose synchronous code it is running at this moment (0: none). */
  syncRunning(): number;
  /** Whether the last task it ran synchronously took a millisecond or more. */
  lastTaskLong(): boolean;
  /** Takes back every sent task that has not started, in seq order. */
  revokeUnstarted(): Task[];
  /** Keeps the process alive (busy) or not (idle). */
  setBusy(busy: boolean): void;
  /** `graceful`: let it finish writing and exit by itself (terminated after a bound if not). */
  stop(graceful?: boolean): Promise<void>;
}
