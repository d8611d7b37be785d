/**
 * `imap` and `imapUnordered`: a lazy, bounded map. The input (sync or async, possibly endless) is
 * read only while fewer than `ahead` chunks are in flight or waiting to be consumed, so memory
 * stays flat however long the input is. Results come out in input order (`imap`) or as they
 * finish (`imapUnordered`); an item's error is thrown by the `next()` that reaches it, after the
 * results before it, and the iteration can go on past it. An error of the input itself is thrown
 * after every item read before it has been delivered, and ends the iteration.
 */

import type { Engine } from '../engine/engine.js';
import { type Job, SETTLE, Task } from '../engine/task.js';
import { TimeoutError } from '../errors.js';
import type { AnyFunction, FunctionRecord } from '../functions/functions.js';
import type { Transferable } from '../options.js';
import { expectTimeout } from '../options.js';
import { type Mode, Outcome } from '../protocol/messages.js';
import { readStep } from './issue.js';
import { chunkError } from './map-job.js';

/** A settled chunk being handed out item by item. */
interface Segment {
  values: unknown[];
  /** Item index → error, for the items that failed. */
  failures: Map<number, unknown> | null;
  /** The whole chunk failed (the thread died, the pool was terminated…): one error for it. */
  error?: { error: unknown };
  position: number;
}

interface Waiter {
  resolve(result: IteratorResult<unknown>): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout | undefined;
}

export interface IMapSource {
  engine: Engine;
  fn: AnyFunction;
  record: FunctionRecord;
  mode: Mode;
  input: Iterable<unknown> | AsyncIterable<unknown>;
  chunksize: number;
  ordered: boolean;
  /** Transferables of a chunk's items. */
  transferOf: ((items: unknown[]) => Transferable[] | undefined) | undefined;
  /** Prepares each item (e.g. starmap's argument lists); may throw like the input. */
  prepare: ((item: unknown) => unknown) | undefined;
}

export class IMapIterator<R> implements AsyncIterableIterator<R> {
  /** The call's parameters, without its input: a finished iterator does not keep that alive. */
  readonly #source: Omit<IMapSource, 'input'>;
  readonly #ahead: number;
  #iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  readonly #async: boolean;
  /** Chunks submitted and not settled. */
  readonly #inFlight = new Set<Task>();
  /** Settled chunks waiting for their turn (ordered) by chunk index. */
  readonly #early = new Map<number, Segment>();
  /** Settled chunks ready to hand out, in delivery order. */
  readonly #ready: Segment[] = [];
  #nextChunk = 0;
  #nextToDeliver = 0;
  #exhausted = false;
  #inputError: { error: unknown } | null = null;
  #pulling = false;
  #finished = false;
  readonly #waiters: Waiter[] = [];
  #release: (() => void) | undefined;
  /** What this call's tasks report to (kept off the public surface). */
  readonly #job: Job = { [SETTLE]: (task, outcome, value) => this.#settle(task, outcome, value) };

  /** @internal Made by `ThreadPool.imap()` / `imapUnordered()`. */
  constructor({ input, ...source }: IMapSource) {
    this.#source = source;
    this.#ahead = Math.max(2 * source.engine.options.workers, 128);
    this.#async =
      typeof (input as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
    this.#release = source.engine.holdOpen((error) => this.#stopped(error));
    // The input is opened now (like a for-of would); reading waits for the first free capacity.
    try {
      this.#iterator = this.#async
        ? (input as AsyncIterable<unknown>)[Symbol.asyncIterator]()
        : (input as Iterable<unknown>)[Symbol.iterator]();
    } catch (error) {
      this.#inputError = { error };
      this.#exhausted = true;
      this.#releaseEngine();
    }
    queueMicrotask(() => this.#fill());
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next result. With a `timeout` (ms), rejects with TimeoutError if none comes in time; the
   * iterator stays usable.
   */
  next(timeout?: number | null): Promise<IteratorResult<R>> {
    const ms = expectTimeout('timeout', timeout);
    const settled = this.#take();
    if (settled) return settled as Promise<IteratorResult<R>>;
    if (ms === 0) return Promise.reject(new TimeoutError('No result was ready (timeout 0 ms)'));
    return new Promise<IteratorResult<R>>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: resolve as Waiter['resolve'],
        reject,
        timer: undefined,
      };
      if (ms !== Number.POSITIVE_INFINITY) {
        waiter.timer = setTimeout(() => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(new TimeoutError(`No result came within ${ms} ms`));
        }, ms);
      }
      this.#waiters.push(waiter);
      this.#fill();
    });
  }

  /** Stops early: no more input is read, and this call's tasks that have not started are dropped. */
  async return(value?: unknown): Promise<IteratorResult<R>> {
    if (!this.#finished) {
      this.#finished = true;
      this.#exhausted = true;
      for (const task of this.#inFlight) this.#source.engine.cancel(task);
      this.#inFlight.clear();
      this.#early.clear();
      this.#ready.length = 0;
      for (const waiter of this.#waiters.splice(0)) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.resolve({ done: true, value: undefined });
      }
      const iterator = this.#iterator;
      this.#iterator = undefined;
      this.#releaseEngine();
      // While a read is in progress the input is closed when it ends (see #fillAsync). Otherwise
      // it is closed now, as a for-of would, and an error of its return() is this call's.
      if (iterator && !this.#pulling) await closeInput(iterator, true);
    }
    return { done: true, value: value as R };
  }

  get [Symbol.toStringTag](): string {
    return 'IMapIterator';
  }

  // ---- delivering -------------------------------------------------------------------------------

  /** A settled next() result if one is available now, else undefined. */
  #take(): Promise<IteratorResult<unknown>> | undefined {
    if (this.#finished) return Promise.resolve({ done: true, value: undefined });
    const segment = this.#ready[0];
    if (segment) {
      let outcome: { ok: boolean; value: unknown };
      if (segment.error) {
        this.#ready.shift();
        outcome = { ok: false, value: segment.error.error };
      } else {
        const position = segment.position++;
        if (segment.position >= segment.values.length) this.#ready.shift();
        const failure = segment.failures?.get(position);
        outcome =
          failure === undefined && !segment.failures?.has(position)
            ? { ok: true, value: segment.values[position] }
            : { ok: false, value: failure };
      }
      // Room freed: read more input.
      queueMicrotask(() => this.#fill());
      return outcome.ok
        ? Promise.resolve({ done: false, value: outcome.value })
        : Promise.reject(outcome.value);
    }
    if (this.#exhausted && !this.#pulling && this.#inFlight.size === 0 && this.#early.size === 0) {
      this.#finished = true;
      this.#releaseEngine();
      const failed = this.#inputError;
      this.#inputError = null;
      if (failed) return Promise.reject(failed.error);
      return Promise.resolve({ done: true, value: undefined });
    }
    return undefined;
  }

  #deliver(): void {
    while (this.#waiters.length > 0) {
      const result = this.#take();
      if (!result) return;
      const waiter = this.#waiters.shift() as Waiter;
      if (waiter.timer) clearTimeout(waiter.timer);
      result.then(waiter.resolve, waiter.reject);
    }
  }

  #settle(task: Task, outcome: Outcome, value: unknown): void {
    if (!this.#inFlight.delete(task)) return;
    let segment: Segment;
    if (outcome === Outcome.Ok) {
      segment = { values: value as unknown[], failures: null, position: 0 };
    } else if (outcome === Outcome.PartialChunk) {
      const chunk = value as { values: unknown[]; failures: [number, unknown][] };
      segment = { values: chunk.values, failures: new Map(chunk.failures), position: 0 };
    } else {
      segment = { values: [], failures: null, error: chunkError(outcome, value), position: 0 };
    }
    const empty = !segment.error && segment.values.length === 0;
    if (this.#source.ordered) {
      this.#early.set(task.index, segment);
      for (
        let next = this.#early.get(this.#nextToDeliver);
        next;
        next = this.#early.get(this.#nextToDeliver)
      ) {
        this.#early.delete(this.#nextToDeliver++);
        if (next.error || next.values.length > 0) this.#ready.push(next);
      }
    } else if (!empty) {
      this.#ready.push(segment);
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
    if (!this.#source.engine.acceptsWork) this.#stopReading();
    if (this.#pulling || this.#exhausted || this.#finished) {
      this.#deliver();
      return;
    }
    if (!this.#shouldRead()) {
      this.#deliver();
      return;
    }
    if (this.#async) {
      void this.#fillAsync();
      return;
    }
    const iterator = this.#iterator as Iterator<unknown>;
    while (!this.#exhausted && this.#room()) {
      const items: unknown[] = [];
      while (items.length < this.#source.chunksize) {
        let step: { done: boolean; value: unknown };
        try {
          // The result's `done` and `value` may be getters that throw: an input error too.
          step = readStep(iterator.next());
        } catch (error) {
          this.#failInput(error);
          break;
        }
        if (step.done) {
          this.#exhausted = true;
          this.#iterator = undefined;
          break;
        }
        if (!this.#add(items, step.value)) break;
      }
      this.#submit(items);
    }
    if (this.#exhausted) this.#releaseEngine();
    this.#deliver();
  }

  async #fillAsync(): Promise<void> {
    this.#pulling = true;
    const iterator = this.#iterator as AsyncIterator<unknown>;
    try {
      while (!this.#exhausted && !this.#finished && this.#room()) {
        const items: unknown[] = [];
        while (items.length < this.#source.chunksize) {
          let step: { done: boolean; value: unknown };
          try {
            step = readStep(await iterator.next());
          } catch (error) {
            this.#failInput(error);
            break;
          }
          // Finished, or the pool stopped while this read was waiting: drop what it brought.
          if (this.#finished || !this.#source.engine.acceptsWork) return;
          if (step.done) {
            this.#exhausted = true;
            this.#iterator = undefined;
            break;
          }
          if (!this.#add(items, step.value)) break;
        }
        this.#submit(items);
      }
    } finally {
      this.#pulling = false;
      // return() was called while a read was in progress: close the input now. Nobody waits for
      // this any more, so an error of the input's return() has no call left to fail.
      if (this.#finished) void closeInput(iterator, false);
    }
    if (this.#exhausted) this.#releaseEngine();
    this.#deliver();
  }

  #add(items: unknown[], item: unknown): boolean {
    const prepare = this.#source.prepare;
    if (!prepare) {
      items.push(item);
      return true;
    }
    try {
      items.push(prepare(item));
      return true;
    } catch (error) {
      this.#failInput(error);
      return false;
    }
  }

  /**
   * The pool terminated or broke. What was in flight fails on its own; a read of the input that
   * is still waiting will not be waited for: the iteration ends with this error after them.
   */
  #stopped(error: unknown): void {
    if (this.#finished || this.#exhausted) return;
    if (this.#pulling) {
      this.#pulling = false;
      this.#inputError = { error };
    }
    this.#stopReading();
    this.#deliver();
  }

  /**
   * No more input is read: the pool terminated or broke. A broken pool can never run the rest of
   * the input, so the iteration ends with its BrokenPoolError (at the first next() when the pool
   * was broken before this call) instead of seeming to finish.
   */
  #stopReading(): void {
    if (this.#exhausted) return;
    this.#exhausted = true;
    const broken = this.#source.engine.broken;
    if (broken) this.#inputError ??= { error: broken };
  }

  #failInput(error: unknown): void {
    this.#inputError = { error };
    this.#exhausted = true;
    // An input that threw is not closed (as a for-of leaves it); nothing more is read from it.
    this.#iterator = undefined;
  }

  #submit(items: unknown[]): void {
    if (items.length === 0 || this.#finished) return;
    const source = this.#source;
    let transfer: Transferable[] | undefined;
    try {
      transfer = source.transferOf?.(items);
    } catch (error) {
      // The caller's transfer function threw: like an input that throws, it ends the iteration
      // with that error after what was issued before (these items cannot be sent as asked).
      const iterator = this.#iterator;
      this.#failInput(error);
      // No read is under way here (a chunk is submitted between reads): close the input now.
      if (iterator) void closeInput(iterator, false);
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
    this.#inFlight.add(task);
    source.engine.submit(task);
  }

  #releaseEngine(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

/**
 * Closes an input we stop reading early. `rethrow`: its error is the caller's (a `return()` they
 * await); otherwise it is dropped, since nobody is left to receive it.
 */
async function closeInput(
  iterator: Iterator<unknown> | AsyncIterator<unknown>,
  rethrow: boolean,
): Promise<void> {
  try {
    if (typeof iterator.return === 'function') await iterator.return();
  } catch (error) {
    if (rethrow) throw error;
  }
}
