/**
 * How an executor turns a call into a Future on the engine: the glue between `Future` (which
 * knows nothing of tasks) and the engine's jobs. One Submitter per executor; the map iterators
 * share it. It holds no reference to the executor itself.
 */

import type { CallControl } from '../control/call-control.js';
import { ChunkResult } from '../engine/chunk-result.js';
import { type Engine, PoolState } from '../engine/engine.js';
import { StopRegistry } from '../engine/stop-registry.js';
import { type Job, SETTLE, Task } from '../engine/task.js';
import type { AnyFunction, FunctionRecord } from '../functions/functions.js';
import type { Transferable } from '../options/types.js';
import { Mode, Outcome } from '../protocol/messages.js';
import { Future, type FutureBinding, futureInternals } from './future.js';

/** The job of one future's task, and the future's binding to that task. */
class FutureJob implements Job, FutureBinding {
  task!: Task;
  /** Neighbours in the Submitter's list of unsettled calls. */
  previous: FutureJob | null = null;
  next: FutureJob | null = null;

  constructor(
    readonly future: Future<unknown>,
    readonly engine: Engine,
    readonly reportError: (error: unknown) => void,
    readonly submitter: Submitter,
    /** A map chunk (Mode.Starmap), settled with a ChunkResult. */
    readonly chunk: boolean,
  ) {}

  /** The future is done (finished or cancelled): it leaves the list of unsettled calls. */
  release(): void {
    this.submitter.unlink(this);
  }

  [SETTLE](_task: Task, outcome: Outcome, value: unknown): void {
    if (!this.chunk) {
      futureInternals.finish(this.future, outcome === Outcome.Ok, value);
      return;
    }
    // A chunk that failed as a whole fails its future; otherwise the future holds its results.
    const result = ChunkResult.decode(outcome, value);
    if (result.error) futureInternals.finish(this.future, false, result.error.error);
    else futureInternals.finish(this.future, true, result);
  }
}

export class Submitter {
  /** After shutdown() (the engine is closed, or terminated): no new futures. */
  get shutDown(): boolean {
    return this.engine.state !== PoolState.Run;
  }
  readonly engine: Engine;
  readonly reportError: (error: unknown) => void;
  /**
   * Calls whose future is not done, in submission order, for `shutdown({ cancelFutures })`: a
   * list through the jobs themselves, so that adding and removing cost no allocation.
   */
  #first: FutureJob | null = null;
  #last: FutureJob | null = null;
  /**
   * The maps still reading an async input: stopped by `shutdown({ cancelFutures })`, and with the
   * engine when it terminates or breaks.
   */
  readonly readers: StopRegistry;

  constructor(engine: Engine, reportError: (error: unknown) => void) {
    this.engine = engine;
    this.reportError = reportError;
    this.readers = new StopRegistry(reportError);
    engine.onStop((error) => this.readers.stop(error));
  }

  /** The futures not done yet, in submission order. */
  pending(): Future<unknown>[] {
    const futures: Future<unknown>[] = [];
    for (let job = this.#first; job; job = job.next) futures.push(job.future);
    return futures;
  }

  unlink(job: FutureJob): void {
    if (job.previous) job.previous.next = job.next;
    else if (this.#first === job) this.#first = job.next;
    else return; // Not in the list.
    if (job.next) job.next.previous = job.previous;
    else this.#last = job.previous;
    job.previous = null;
    job.next = null;
  }

  /** Validates a task function (a TypeError for what can never run in a thread). */
  record(fn: unknown): FunctionRecord {
    return this.engine.record(fn);
  }

  /** `fn(...args)` as a Future; `control`: its call's signal, timeout and onProgress. */
  call<R>(
    fn: AnyFunction,
    record: FunctionRecord,
    args: unknown[],
    control?: CallControl,
    transfer?: readonly Transferable[],
  ): Future<R> {
    return this.#launch(fn, record, Mode.Call, args, false, control, transfer) as Future<R>;
  }

  /** `fn(...args)` for each argument list of a chunk, as one Future of a ChunkResult. */
  chunk(
    fn: AnyFunction,
    record: FunctionRecord,
    argLists: unknown[][],
    control?: CallControl,
  ): Future<ChunkResult> {
    return this.#launch(fn, record, Mode.Starmap, argLists, true, control) as Future<ChunkResult>;
  }

  #launch(
    fn: AnyFunction,
    record: FunctionRecord,
    mode: Mode,
    payload: unknown[],
    chunk: boolean,
    control: CallControl | undefined,
    transfer?: readonly Transferable[],
  ): Future<unknown> {
    const future = new Future<unknown>();
    const engine = this.engine;
    if (engine.broken) {
      // A broken pool (an initializer failed) fails every later future at once, with the cause.
      futureInternals.finish(future, false, engine.broken);
      return future;
    }
    if (control?.aborted) {
      // Nothing is sent: the future fails with the signal's reason.
      futureInternals.finish(future, false, control.reason);
      return future;
    }
    const job = new FutureJob(future, engine, this.reportError, this, chunk);
    job.task = new Task(fn, record, mode, payload, transfer, job, 0);
    control?.adopt(job.task);
    futureInternals.bind(future, job);
    job.previous = this.#last;
    if (this.#last) this.#last.next = job;
    else this.#first = job;
    this.#last = job;
    engine.submit(job.task);
    return future;
  }
}
