/**
 * `imap` and `imapUnordered`: a lazy, bounded map. The input (sync or async, possibly endless) is
 * read only while fewer than `ahead` chunks are in flight or waiting to be consumed, so memory
 * stays flat however long the input is. Results come out in input order (`imap`) or as they
 * finish (`imapUnordered`); an item's error is thrown by the `next()` that reaches it, after the
 * results before it, and the iteration can go on past it. An error of the input itself is thrown
 * after every item read before it has been delivered, and ends the iteration.
 */

import type { CallControl } from '../control/call-control.js';
import { ChunkResult } from '../engine/chunk-result.js';
import type { Engine } from '../engine/engine.js';
import { Fifo } from '../engine/fifo.js';
import { type Job, SETTLE, Task } from '../engine/task.js';
import { timedWait } from '../engine/wakers.js';
import { TimeoutError } from '../errors.js';
import type { AnyFunction, FunctionRecord } from '../functions/functions.js';
import type { Transferable } from '../options/types.js';
import { expectTimeout } from '../options/validate.js';
import type { Mode, Outcome } from '../protocol/messages.js';
import { type Input, InputReader, ReaderState } from './input-reader.js';

export interface IMapSource {
  engine: Engine;
  fn: AnyFunction;
  record: FunctionRecord;
  mode: Mode;
  input: Input;
  chunksize: number;
  ordered: boolean;
  /** Transferables of a chunk's items. */
  transferOf: ((items: unknown[]) => Transferable[] | undefined) | undefined;
  /** The call's signal and timeout, if it has any. */
  control: CallControl | undefined;
}

const IMapState = {
  /** The input may bring more items; none is being read. */
  Open: 0,
  /** The async read loop is under way (one at a time). */
  Reading: 1,
  /** The input is done (ended, failed, or stopped by the pool): what is in flight comes out. */
  Draining: 2,
  /** Everything was handed out, or the caller left (`return()`). */
  Done: 3,
} as const;
type IMapState = (typeof IMapState)[keyof typeof IMapState];

type Wake = (result: IteratorResult<unknown> | PromiseLike<IteratorResult<unknown>>) => void;

/**
 * The async iterator of `imap` and `imapUnordered` (Python's `IMapIterator`): `for await` over it,
 * call `next(timeout)`, or collect everything with `toArray()`.
 * @example
 * ```ts
 * import { ThreadPool } from 'spindle';
 * await using pool = new ThreadPool();
 * const results = pool.imap((x: number) => x * 10, [1, 2, 3]);
 * console.log(await results.next()); // { value: 10, done: false }
 * console.log(await results.toArray()); // [20, 30]
 * ```
 */
export class IMapIterator<R> implements AsyncIterableIterator<R> {
  /** The call's parameters, without its input: a finished iterator does not keep that alive. */
  readonly #source: Omit<IMapSource, 'input'>;
  readonly #ahead: number;
  readonly #reader: InputReader;
  #state: IMapState = IMapState.Open;
  /** Chunks submitted and not settled. */
  readonly #inFlight = new Set<Task>();
  /** Settled chunks waiting for their turn (ordered) by chunk index. */
  readonly #early = new Map<number, ChunkResult>();
  /** Settled chunks ready to hand out, in delivery order; `#position` is the head's next item. */
  readonly #ready = new Fifo<ChunkResult>();
  #position = 0;
  #nextChunk = 0;
  #nextToDeliver = 0;
  /** next() calls waiting for a result, in call order. */
  readonly #waiters = new Fifo<Wake>();
  #release: (() => void) | undefined;
  /** The call was aborted: the reason, for the next next() to throw (once). */
  #aborted: { reason: unknown } | null = null;
  /** What this call's tasks report to (kept off the public surface). */
  readonly #job: Job = { [SETTLE]: (task, outcome, value) => this.#settle(task, outcome, value) };

  /** @internal Made by `ThreadPool.imap()` / `imapUnordered()`. */
  constructor({ input, ...source }: IMapSource) {
    this.#source = source;
    this.#ahead = Math.max(2 * source.engine.options.workers, 128);
    this.#release = source.engine.holdOpen((error) => this.#stopped(error));
    // The input is opened now (like a for-of would); reading waits for the first free capacity.
    this.#reader = new InputReader([input], false);
    const control = source.control;
    if (control) {
      if (control.aborted) {
        // Nothing is read or sent: the first next() throws the reason.
        this.#abort(control.reason);
        return;
      }
      control.onAbort = (reason) => this.#abort(reason);
    }
    if (this.#reader.done) this.#inputDone();
    queueMicrotask(() => this.#fill());
  }

  /**
   * The iterator itself: `for await (const result of pool.imap(...))`.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * for await (const length of pool.imap((s: string) => s.length, ['a', 'bb'])) {
   *   console.log(length); // 1, then 2
   * }
   * ```
   */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Every remaining result, in order (Python's `list(pool.imap(...))`); rejects at the first error.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const all = await pool.imapUnordered((x: number) => x * x, [1, 2, 3]).toArray();
   * console.log(all.sort((a, b) => a - b)); // [1, 4, 9]
   * ```
   */
  async toArray(): Promise<R[]> {
    const results: R[] = [];
    for (let step = await this.next(); !step.done; step = await this.next()) {
      results.push(step.value);
    }
    return results;
  }

  /**
   * The next result. With a `timeout` (ms), rejects with TimeoutError if none comes in time; the
   * iterator stays usable.
   * @example
   * ```ts
   * import { ThreadPool, TimeoutError } from 'spindle';
   * await using pool = new ThreadPool();
   * const slow = async (ms: number) => {
   *   await new Promise((resolve) => setTimeout(resolve, ms));
   *   return ms;
   * };
   * const results = pool.imap(slow, [200]);
   * await results.next(50).catch((error) => console.log(error instanceof TimeoutError)); // true
   * console.log(await results.next()); // { value: 200, done: false }
   * ```
   */
  next(timeout?: number | null): Promise<IteratorResult<R>> {
    const ms = expectTimeout('timeout', timeout);
    const settled = this.#take();
    if (settled) return settled as Promise<IteratorResult<R>>;
    const result = timedWait<IteratorResult<unknown>>(
      ms,
      (wake) => {
        this.#waiters.push(wake);
        return () => this.#waiters.remove(wake);
      },
      () => {
        throw new TimeoutError(
          ms === 0 ? 'No result was ready (timeout 0 ms)' : `No result came within ${ms} ms`,
        );
      },
    );
    if (ms !== 0) this.#fill();
    return result as Promise<IteratorResult<R>>;
  }

  /**
   * Stops early: no more input is read, and this call's tasks that have not started are dropped.
   * `break` in a `for await` loop calls it.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const results = pool.imap((x: number) => x + 1, [1, 2, 3, 4, 5, 6, 7, 8]);
   * console.log((await results.next()).value); // 2
   * await results.return(); // the tasks not started yet are dropped
   * console.log(await results.next()); // { value: undefined, done: true }
   * ```
   */
  async return(value?: unknown): Promise<IteratorResult<R>> {
    if (this.#state !== IMapState.Done) {
      this.#state = IMapState.Done;
      for (const task of this.#inFlight) this.#source.engine.cancel(task);
      this.#inFlight.clear();
      this.#early.clear();
      this.#ready.drain();
      for (const wake of this.#waiters.drain()) wake({ done: true, value: undefined });
      this.#source.control?.seal();
      this.#releaseEngine();
      // Closed as a for-of would; an error of the input's return() is this call's.
      await this.#reader.close();
    }
    return { done: true, value: value as R };
  }

  /** `'IMapIterator'`, for `Object.prototype.toString`. */
  get [Symbol.toStringTag](): string {
    return 'IMapIterator';
  }

  // ---- delivering -------------------------------------------------------------------------------

  /** A settled next() result if one is available now, else undefined. */
  #take(): Promise<IteratorResult<unknown>> | undefined {
    const aborted = this.#aborted;
    if (aborted) {
      this.#aborted = null;
      return Promise.reject(aborted.reason);
    }
    if (this.#state === IMapState.Done) return Promise.resolve({ done: true, value: undefined });
    const chunk = this.#ready.peek();
    if (chunk) {
      const position = this.#position++;
      // A chunk that failed as a whole is one error; otherwise each item is a result.
      if (chunk.error || this.#position >= chunk.values.length) {
        this.#ready.shift();
        this.#position = 0;
      }
      // Room freed: read more input.
      queueMicrotask(() => this.#fill());
      return chunk.failedAt(position)
        ? Promise.reject(chunk.errorAt(position))
        : Promise.resolve({ done: false, value: chunk.takeValue(position) });
    }
    if (this.#state === IMapState.Draining && this.#inFlight.size === 0 && this.#early.size === 0) {
      this.#state = IMapState.Done;
      const failed = this.#reader.error;
      if (failed) return Promise.reject(failed.error);
      return Promise.resolve({ done: true, value: undefined });
    }
    return undefined;
  }

  #deliver(): void {
    while (this.#waiters.length > 0) {
      const result = this.#take();
      if (!result) return;
      (this.#waiters.shift() as Wake)(result);
    }
  }

  #settle(task: Task, outcome: Outcome, value: unknown): void {
    if (!this.#inFlight.delete(task)) return;
    const chunk = ChunkResult.decode(outcome, value);
    if (this.#source.ordered) {
      this.#early.set(task.index, chunk);
      for (
        let next = this.#early.get(this.#nextToDeliver);
        next;
        next = this.#early.get(this.#nextToDeliver)
      ) {
        this.#early.delete(this.#nextToDeliver++);
        if (next.error || next.values.length > 0) this.#ready.push(next);
      }
    } else if (chunk.error || chunk.values.length > 0) {
      this.#ready.push(chunk);
    }
    this.#deliver();
  }

  // ---- reading the input ------------------------------------------------------------------------

  #held(): number {
    return this.#inFlight.size + this.#early.size + this.#ready.length;
  }

  /**
   * The read-ahead is bounded in every state of the pool: after close() the input is still read
   * only as results are consumed (an endless input would otherwise fill the heap), and the
   * pool's threads stay until this call has read its input to the end or been left.
   */
  #room(): boolean {
    return this.#held() < this.#ahead;
  }

  /**
   * Reading resumes only once half the read-ahead is free, then fills it: tasks reach the threads
   * in large batches instead of one message per consumed result.
   */
  #shouldRead(): boolean {
    const held = this.#held();
    return held === 0 || held <= this.#ahead / 2;
  }

  #fill(): void {
    // A terminated or broken pool: what is in flight fails, and no more input is read.
    if (this.#state === IMapState.Open && !this.#source.engine.acceptsWork) {
      this.#stopped(this.#source.engine.broken);
    }
    const reader = this.#reader;
    if (
      this.#state !== IMapState.Open ||
      reader.state !== ReaderState.Idle ||
      !this.#shouldRead()
    ) {
      this.#deliver();
      return;
    }
    if (reader.async) {
      this.#state = IMapState.Reading;
      void this.#fillAsync();
      return;
    }
    while (reader.state === ReaderState.Idle && this.#room()) {
      this.#submit(reader.read(this.#source.chunksize) as unknown[]);
    }
    if (reader.done) this.#inputDone();
    this.#deliver();
  }

  async #fillAsync(): Promise<void> {
    const reader = this.#reader;
    while (reader.state === ReaderState.Idle && this.#room()) {
      const items = await reader.read(this.#source.chunksize);
      // Left, or the pool stopped, while this read waited: what it brought is dropped.
      if (this.#state !== IMapState.Reading) return;
      this.#submit(items);
    }
    if (reader.done) this.#inputDone();
    else this.#state = IMapState.Open;
    this.#deliver();
  }

  /**
   * The pool terminated or broke. What was in flight fails on its own; a read of the input that
   * is still waiting will not be waited for: the iteration ends with this error after them. A
   * broken pool can never run the rest of the input, so the iteration ends with its
   * BrokenPoolError (at the first next() when the pool was broken before this call) instead of
   * seeming to finish.
   */
  #stopped(error: unknown): void {
    const reader = this.#reader;
    // An input that has just ended still has its last chunk submitted (see #fillAsync).
    if (this.#state > IMapState.Reading || reader.done) return;
    const broken = this.#source.engine.broken;
    if (this.#state === IMapState.Reading) reader.stop({ error });
    else reader.stop(broken ? { error: broken } : null);
    this.#inputDone();
    this.#deliver();
  }

  /** Open or Reading → Draining: the pool need not stay open for this call any longer. */
  #inputDone(): void {
    if (this.#state > IMapState.Reading) return;
    this.#state = IMapState.Draining;
    this.#source.control?.seal();
    this.#releaseEngine();
  }

  #submit(items: unknown[]): void {
    if (items.length === 0 || this.#state === IMapState.Done) return;
    const source = this.#source;
    let transfer: Transferable[] | undefined;
    try {
      transfer = source.transferOf?.(items);
    } catch (error) {
      // The caller's transfer function threw: like an input that throws, it ends the iteration
      // with that error after what was issued before (these items cannot be sent as asked).
      this.#reader.fail(error);
      return;
    }
    const task = new Task(
      source.fn,
      source.record,
      source.mode,
      items,
      transfer,
      this.#job,
      this.#nextChunk++,
    );
    source.control?.adopt(task);
    this.#inFlight.add(task);
    source.engine.submit(task);
  }

  /**
   * The call's signal aborted: no more input is read (the input is closed), what was not handed
   * out is dropped, the chunks in flight are aborted (by the call's control, right after this),
   * and the iteration ends with the reason: thrown by the next next(), or by those waiting.
   */
  #abort(reason: unknown): void {
    if (this.#state === IMapState.Done) return;
    this.#state = IMapState.Done;
    this.#inFlight.clear();
    this.#early.clear();
    this.#ready.drain();
    this.#reader.stop(null);
    this.#releaseEngine();
    this.#source.control?.seal();
    const waiting = this.#waiters.drain();
    if (waiting.length === 0) this.#aborted = { reason };
    for (const wake of waiting) wake(Promise.reject(reason));
  }

  #releaseEngine(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}
