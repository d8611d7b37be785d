/**
 * `executor.map(fn, ...iterables, { timeout, chunksize, buffersize })`: Python's `Executor.map`
 * as an async iterator of results in input order.
 *
 * - The iterables are zipped, as Python's `zip`: the call gets one item of each, and the map
 *   stops at the shortest (the others are closed).
 * - Without `buffersize` every input is read at once and every call submitted before the first
 *   result is asked for (an async input is read on later turns, all the same). With it, only
 *   `buffersize` chunks are submitted ahead, and one more each time a result is taken: an endless
 *   input works (Python 3.14).
 * - `timeout` counts from the call. A result not ready by then throws TimeoutError, the calls
 *   not yet started are cancelled, and the iteration ends.
 * - A call's error is thrown by the `next()` that reaches it, after the results before it, and
 *   the iteration goes on past it (results of the other calls are not lost). An error of an input
 *   comes after every item read before it, and ends the iteration.
 * - `return()` (breaking out of `for await`) cancels the calls not yet started.
 */
import type { CallControl } from '../control/call-control.js';
import { ChunkResult } from '../engine/chunk-result.js';
import { Fifo } from '../engine/fifo.js';
import { timedWait } from '../engine/wakers.js';
import { InvalidStateError, TimeoutError } from '../errors.js';
import type { AnyFunction, FunctionRecord } from '../functions/functions.js';
import { type Input, InputReader, ReaderState } from '../thread-pool/input-reader.js';
import { type Future, futureInternals } from './future.js';
import type { Submitter } from './submitter.js';

export interface ExecutorMapSource {
  submitter: Submitter;
  fn: AnyFunction;
  record: FunctionRecord;
  inputs: Input[];
  chunksize: number;
  /** Chunks submitted ahead of the consumer; Infinity without `buffersize`. */
  buffersize: number;
  /** `performance.now()` deadline; Infinity without `timeout`. */
  deadline: number;
  /** The call's signal, if it has one. */
  control: CallControl | undefined;
}

const MapState = {
  /** The inputs may bring more calls; none is being read. */
  Open: 0,
  /** The async read loop is under way (one at a time). */
  Reading: 1,
  /** The inputs are done (ended, failed, refused or stopped): the queued calls come out. */
  Draining: 2,
  /** Everything was handed out, the map timed out, or the caller left (`return()`). */
  Done: 3,
} as const;
type MapState = (typeof MapState)[keyof typeof MapState];

const DONE: IteratorResult<never> = { done: true, value: undefined };
const ignore = (): void => {};

/**
 * The async iterator of `ThreadPoolExecutor.map()`: results in input order; `toArray()` for all.
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from 'spindle';
 * await using executor = new ThreadPoolExecutor();
 * const results = executor.map((x: number) => x * 3, [1, 2, 3]);
 * console.log(await results.toArray()); // [3, 6, 9]
 * ```
 */
export class ExecutorMapIterator<R> implements AsyncIterableIterator<R> {
  readonly #source: ExecutorMapSource;
  readonly #reader: InputReader;
  #state: MapState = MapState.Open;
  /** Submitted chunks (or single calls when chunksize is 1) not yet taken, in input order. */
  readonly #queue = new Fifo<Future<unknown>>();
  /** With chunks: how many calls each queued chunk holds. */
  readonly #sizes = new Fifo<number>();
  /** The chunk being handed out call by call: `#count` calls, the next at `#position`. */
  #chunk: ChunkResult | null = null;
  #count = 0;
  #position = 0;
  /** How many more chunks may be read and submitted. */
  #credits: number;
  /** Wakes a step waiting for the async reader. */
  #wakeStep: (() => void) | null = null;
  /** Keeps a closed engine open while an async input may still submit. */
  #release: (() => void) | undefined;
  /** A bounded map's hold on the engine while one read is under way. */
  #readHold: (() => void) | undefined;
  #unregisterReader: (() => void) | undefined;
  /** next() calls run one after the other. */
  #chain: Promise<unknown> = Promise.resolve();
  /** The map was aborted: the reason, for the next next() to throw (once). */
  #aborted: { reason: unknown } | null = null;

  /** @internal Made by `ThreadPoolExecutor.map()`. */
  constructor(source: ExecutorMapSource) {
    this.#source = source;
    this.#credits = source.buffersize;
    const { submitter } = source;
    const broken = submitter.engine.broken;
    // A broken executor runs nothing: the inputs are not read (an endless or silent one would
    // never let the first next() settle), and the iteration fails with the cause at once.
    this.#reader = new InputReader(broken ? [] : source.inputs, true);
    if (broken) this.#reader.fail(broken);
    if (this.#reader.async && !this.#reader.done) {
      this.#unregisterReader = submitter.readers.add((error) => this.#stopReading(error));
      if (source.buffersize === Number.POSITIVE_INFINITY) {
        // Everything will be read and submitted, as Python does, even after shutdown().
        this.#release = submitter.engine.holdOpen();
      }
    }
    const control = source.control;
    if (control) {
      if (control.aborted) this.#abort(control.reason);
      else control.onAbort = (reason) => this.#abort(reason);
    }
    if (this.#reader.done) this.#inputDone();
    this.#fill();
  }

  /**
   * The iterator itself: `for await (const result of executor.map(...))`.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * for await (const length of executor.map((s: string) => s.length, ['a', 'bb'])) {
   *   console.log(length); // 1, then 2
   * }
   * ```
   */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next result, in input order. Rejects with the call's error (the map then ends), or with
   * TimeoutError once the map's `timeout` has passed.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const results = executor.map((x: number) => x + 1, [10, 20]);
   * console.log(await results.next()); // { value: 11, done: false }
   * ```
   */
  next(): Promise<IteratorResult<R>> {
    const step = this.#chain.then(() => this.#step());
    this.#chain = step.then(ignore, ignore);
    return step;
  }

  /**
   * Stops early: the calls not yet started are cancelled and the inputs closed. `break` in a
   * `for await` loop calls it.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const results = executor.map((x: number) => x, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
   * console.log((await results.next()).value); // 1
   * await results.return(); // the calls not started are cancelled
   * ```
   */
  async return(value?: unknown): Promise<IteratorResult<R>> {
    this.#finish();
    return { done: true, value: value as R };
  }

  /**
   * Every remaining result, in order (Python's `list(executor.map(...))`).
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const add = (a: number, b: number) => a + b;
   * console.log(await executor.map(add, [1, 2], [10, 20]).toArray()); // [11, 22]
   * ```
   */
  async toArray(): Promise<R[]> {
    const results: R[] = [];
    for (let step = await this.next(); !step.done; step = await this.next()) {
      results.push(step.value);
    }
    return results;
  }

  /** `'ExecutorMapIterator'`, for `Object.prototype.toString`. */
  get [Symbol.toStringTag](): string {
    return 'ExecutorMapIterator';
  }

  // ---- delivering -------------------------------------------------------------------------------

  async #step(): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.#state === MapState.Done) return this.#ended();
      const chunk = this.#chunk;
      if (chunk) {
        const position = this.#position++;
        if (this.#position >= this.#count) this.#chunk = null;
        if (chunk.failedAt(position)) throw chunk.errorAt(position);
        return { done: false, value: chunk.takeValue(position) as R };
      }
      // About to take the next chunk: one more may be read (Python refills before it waits).
      if (this.#credits !== Number.POSITIVE_INFINITY) this.#credits++;
      this.#fill();
      const head = this.#queue.shift();
      if (!head) {
        if (this.#state === MapState.Reading) {
          if (!(await this.#awaitReader())) return this.#timedOut(undefined);
          continue;
        }
        const failed = this.#reader.error;
        this.#finish();
        if (failed) throw failed.error;
        return DONE;
      }
      if (!(await whenDone(head, this.#source.deadline))) return this.#timedOut(head);
      // Left (return()) or aborted while this step waited.
      if ((this.#state as MapState) === MapState.Done) return this.#ended();
      // A failed call throws here; the iteration can go on past it.
      if (this.#source.chunksize === 1) return { done: false, value: (await head) as R };
      const size = this.#sizes.shift() as number;
      let result: ChunkResult;
      try {
        result = (await head) as ChunkResult;
      } catch (error) {
        // The whole chunk failed (its thread died, it was cancelled…): each call of it fails.
        result = ChunkResult.failed(error);
      }
      this.#count = result.error ? size : result.values.length;
      this.#position = 0;
      this.#chunk = this.#count > 0 ? result : null;
    }
  }

  /** After the end: done, but an abort's reason is thrown once first. */
  #ended(): IteratorResult<R> {
    const aborted = this.#aborted;
    if (aborted) {
      this.#aborted = null;
      throw aborted.reason;
    }
    return DONE;
  }

  /**
   * The call's signal aborted: no more input is read, the calls not yet taken are dropped (the
   * call's control aborts them right after this), and the iteration ends with the reason.
   */
  #abort(reason: unknown): void {
    if (this.#state === MapState.Done) return;
    this.#aborted = { reason };
    this.#finish();
  }

  #timedOut(head: Future<unknown> | undefined): never {
    head?.cancel();
    this.#finish();
    throw new TimeoutError('The map did not finish within its timeout');
  }

  /** Waits until the async reader submits a chunk or stops; false when the deadline passes. */
  #awaitReader(): Promise<boolean> {
    return timedWait<boolean>(
      Math.ceil(this.#source.deadline - performance.now()),
      (wake) => {
        this.#wakeStep = () => wake(true);
        return () => {
          this.#wakeStep = null;
        };
      },
      () => false,
    );
  }

  #signalReader(): void {
    const wake = this.#wakeStep;
    this.#wakeStep = null;
    wake?.();
  }

  // ---- reading the inputs -----------------------------------------------------------------------

  /** Reads and submits chunks while credits last. */
  #fill(): void {
    const reader = this.#reader;
    if (this.#state !== MapState.Open || reader.state !== ReaderState.Idle) return;
    if (this.#credits <= 0) return;
    if (reader.async) {
      this.#state = MapState.Reading;
      this.#fillAsync().then(undefined, (error: unknown) => this.#stopReading(error));
      return;
    }
    while (reader.state === ReaderState.Idle && this.#credits > 0) {
      const closed = this.#closed();
      const argLists = reader.read(this.#source.chunksize) as unknown[][];
      if (closed && argLists.length > 0) this.#refuse();
      else this.#submit(argLists);
    }
    if (reader.done) this.#inputDone();
  }

  async #fillAsync(): Promise<void> {
    const reader = this.#reader;
    const bounded = this.#source.buffersize !== Number.POSITIVE_INFINITY;
    while (reader.state === ReaderState.Idle && this.#credits > 0) {
      const closed = this.#closed();
      // A bounded map keeps the engine open only while a read is in progress: what a read begun
      // before shutdown() brings is still submitted.
      this.#readHold = bounded && !closed ? this.#source.submitter.engine.holdOpen() : undefined;
      const argLists = (await reader.read(this.#source.chunksize)) as unknown[][];
      // Left, or stopped, while this read waited: what it brought is dropped.
      if (this.#state === MapState.Reading) {
        if (closed && argLists.length > 0) this.#refuse();
        else this.#submit(argLists);
      }
      this.#releaseReadHold();
      if (this.#state !== MapState.Reading) return;
      this.#signalReader();
    }
    if (reader.done) this.#inputDone();
    else this.#state = MapState.Open;
  }

  /**
   * `shutdown({ cancelFutures: true })` or a broken pool: what has not been read would fail at
   * once, so it is not read. The calls already submitted are handed out as usual (cancelled ones
   * throw CancelledError); then the iteration throws `error` for the rest of the input.
   */
  #stopReading(error: unknown): void {
    // An input that has just ended still has its last chunk submitted (see #fillAsync).
    if (this.#state > MapState.Reading || this.#reader.done) return;
    this.#reader.stop({ error });
    this.#releaseReadHold();
    this.#inputDone();
  }

  /** Reading → Draining: no hold on the engine, no stop to hear of; a waiting step goes on. */
  #inputDone(): void {
    if (this.#state > MapState.Reading) return;
    this.#state = MapState.Draining;
    this.#source.control?.seal();
    this.#releaseEngine();
    this.#signalReader();
  }

  /** Whether reading more is refused: a bounded map after shutdown(). */
  #closed(): boolean {
    return this.#source.submitter.shutDown && this.#source.buffersize !== Number.POSITIVE_INFINITY;
  }

  /**
   * A bounded map submits as it goes; after shutdown() it cannot, and says so (as Python's
   * `executor.submit` inside its map does) if the input has more, once the results already
   * submitted are taken.
   */
  #refuse(): void {
    this.#reader.fail(new InvalidStateError('cannot schedule new futures after shutdown'));
  }

  #submit(argLists: unknown[][]): void {
    if (argLists.length === 0) return;
    const { submitter, fn, record, chunksize } = this.#source;
    this.#credits--;
    if (chunksize > 1) this.#sizes.push(argLists.length);
    const control = this.#source.control;
    this.#queue.push(
      chunksize === 1
        ? submitter.call(fn, record, argLists[0] as unknown[], control)
        : submitter.chunk(fn, record, argLists, control),
    );
  }

  #releaseReadHold(): void {
    const release = this.#readHold;
    this.#readHold = undefined;
    release?.();
  }

  #releaseEngine(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
    const unregister = this.#unregisterReader;
    this.#unregisterReader = undefined;
    unregister?.();
  }

  #finish(): void {
    if (this.#state === MapState.Done) return;
    this.#state = MapState.Done;
    this.#source.control?.seal();
    for (const future of this.#queue.drain()) future.cancel();
    this.#sizes.drain();
    this.#chunk = null;
    // Closing is best effort here: return() does not wait for it, nor fail with its error.
    this.#reader.close().then(undefined, ignore);
    this.#releaseEngine();
    this.#signalReader();
  }
}

/** Resolves true once `future` is done, false if `deadline` (performance.now()) passes first. */
function whenDone(future: Future<unknown>, deadline: number): Promise<boolean> {
  if (future.done()) return Promise.resolve(true);
  return timedWait<boolean>(
    Math.ceil(deadline - performance.now()),
    (wake) => futureInternals.onDone(future, () => wake(true)),
    () => future.done(),
  );
}
