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
import { InvalidStateError, TimeoutError } from '../errors.js';
import type { AnyFunction, FunctionRecord } from '../functions/functions.js';
import { readStep } from '../thread-pool/issue.js';
import { type Future, futureInternals } from './future.js';
import type { ChunkResult, Submitter } from './submitter.js';

type AnyIterator = Iterator<unknown> | AsyncIterator<unknown>;

export interface ExecutorMapSource {
  submitter: Submitter;
  fn: AnyFunction;
  record: FunctionRecord;
  inputs: (Iterable<unknown> | AsyncIterable<unknown>)[];
  chunksize: number;
  /** Chunks submitted ahead of the consumer; Infinity without `buffersize`. */
  buffersize: number;
  /** `performance.now()` deadline; Infinity without `timeout`. */
  deadline: number;
}

/** The current chunk being handed out item by item. */
interface Segment {
  result: ChunkResult;
  position: number;
}

const DONE: IteratorResult<never> = { done: true, value: undefined };

export class ExecutorMapIterator<R> implements AsyncIterableIterator<R> {
  readonly #source: ExecutorMapSource;
  readonly #iterators: AnyIterator[] = [];
  readonly #async: boolean;
  /** Submitted chunks (or single calls when chunksize is 1) not yet taken, in input order. */
  readonly #queue = new Fifo<Future<unknown>>();
  /** With chunks: how many calls each queued chunk holds. */
  readonly #sizes = new Fifo<number>();
  #segment: Segment | null = null;
  /** How many more chunks may be read and submitted. */
  #credits: number;
  #exhausted = false;
  #inputError: { error: unknown } | null = null;
  /** An async read in progress. */
  #reading: Promise<void> | null = null;
  /** Wakes a step waiting for the async reader. */
  #readerSignal: (() => void) | null = null;
  /** Keeps a closed engine open while an async input may still submit. */
  #release: (() => void) | undefined;
  #finished = false;
  /** Reading was stopped (cancelFutures, a broken pool); a read under way is dropped. */
  #stopped = false;
  #unregisterReader: (() => void) | undefined;
  /** A bounded map's hold on the engine while one read is under way. */
  #readHold: (() => void) | undefined;
  /** next() calls run one after the other. */
  #chain: Promise<unknown> = Promise.resolve();

  /** @internal Made by `ThreadPoolExecutor.map()`. */
  constructor(source: ExecutorMapSource) {
    this.#source = source;
    this.#credits = source.buffersize;
    const broken = source.submitter.engine.broken;
    if (broken) {
      // A broken executor runs nothing: the inputs are not read (an endless or silent one would
      // never let the first next() settle), and the iteration fails with the cause at once.
      this.#async = false;
      this.#failInput(broken);
      return;
    }
    this.#async = source.inputs.some(
      (input) =>
        typeof (input as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function',
    );
    try {
      for (const input of source.inputs) {
        this.#iterators.push(
          typeof (input as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
            ? (input as AsyncIterable<unknown>)[Symbol.asyncIterator]()
            : (input as Iterable<unknown>)[Symbol.iterator](),
        );
      }
    } catch (error) {
      this.#failInput(error);
    }
    if (this.#async && !this.#exhausted) {
      this.#unregisterReader = source.submitter.addReader((error) => this.#stopReading(error));
      if (source.buffersize === Number.POSITIVE_INFINITY) {
        // Everything will be read and submitted, as Python does, even after shutdown().
        this.#release = source.submitter.engine.holdOpen();
      }
    }
    this.#fill();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<R>> {
    const step = this.#chain.then(() => this.#step());
    this.#chain = step.then(
      () => {},
      () => {},
    );
    return step;
  }

  /** Stops early: the calls not yet started are cancelled and the inputs closed. */
  async return(value?: unknown): Promise<IteratorResult<R>> {
    this.#finish();
    return { done: true, value: value as R };
  }

  /** Every remaining result, in order (Python's `list(executor.map(...))`). */
  async toArray(): Promise<R[]> {
    const results: R[] = [];
    for (let step = await this.next(); !step.done; step = await this.next()) {
      results.push(step.value);
    }
    return results;
  }

  get [Symbol.toStringTag](): string {
    return 'ExecutorMapIterator';
  }

  // ---- delivering -------------------------------------------------------------------------------

  async #step(): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.#finished) return DONE;
      const segment = this.#segment;
      if (segment) {
        const { values, failures } = segment.result;
        const position = segment.position++;
        if (segment.position >= values.length) this.#segment = null;
        const value = values[position];
        values[position] = undefined; // No reference kept to what was handed out.
        if (failures?.has(position)) throw failures.get(position);
        return { done: false, value: value as R };
      }
      // About to take the next chunk: one more may be read (Python refills before it waits).
      if (this.#credits !== Number.POSITIVE_INFINITY) this.#credits++;
      this.#fill();
      const head = this.#queue.shift();
      if (!head) {
        if (this.#reading && !this.#stopped) {
          if (!(await this.#awaitReader())) return this.#timedOut(undefined);
          continue;
        }
        const failed = this.#inputError;
        this.#finish();
        if (failed) throw failed.error;
        return DONE;
      }
      if (!(await whenDone(head, this.#source.deadline))) return this.#timedOut(head);
      if (this.#finished) return DONE;
      // A failed call throws here; the iteration can go on past it.
      if (this.#source.chunksize === 1) return { done: false, value: (await head) as R };
      const size = this.#sizes.shift() as number;
      let result: ChunkResult;
      try {
        result = (await head) as ChunkResult;
      } catch (error) {
        // The whole chunk failed (its thread died, it was cancelled…): each call of it fails.
        result = { values: new Array(size), failures: new Map() };
        for (let i = 0; i < size; i++) result.failures?.set(i, error);
      }
      this.#segment = result.values.length > 0 ? { result, position: 0 } : null;
    }
  }

  #timedOut(head: Future<unknown> | undefined): never {
    head?.cancel();
    this.#finish();
    throw new TimeoutError('The map did not finish within its timeout');
  }

  /** Waits until the async reader submits a chunk or stops; false when the deadline passes. */
  #awaitReader(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.#readerSignal = () => {
        if (timer) clearTimeout(timer);
        resolve(true);
      };
      const deadline = this.#source.deadline;
      if (deadline !== Number.POSITIVE_INFINITY) {
        timer = setTimeout(
          () => {
            this.#readerSignal = null;
            resolve(false);
          },
          Math.max(0, Math.ceil(deadline - performance.now())),
        );
      }
    });
  }

  #signalReader(): void {
    const signal = this.#readerSignal;
    this.#readerSignal = null;
    signal?.();
  }

  // ---- reading the inputs -----------------------------------------------------------------------

  /** Reads and submits chunks while credits last. */
  #fill(): void {
    if (this.#exhausted || this.#finished || this.#credits <= 0) return;
    if (this.#async) {
      this.#reading ??= this.#fillAsync()
        .catch((error: unknown) => this.#failInput(error))
        .finally(() => {
          this.#reading = null;
          this.#signalReader();
        });
      return;
    }
    while (!this.#exhausted && this.#credits > 0) {
      const closed = this.#closed();
      const argLists: unknown[][] = [];
      while (argLists.length < this.#source.chunksize) {
        const args = this.#readSync();
        if (!args) break;
        argLists.push(args);
      }
      if (closed && argLists.length > 0) {
        this.#refuse();
        break;
      }
      this.#submit(argLists);
    }
  }

  async #fillAsync(): Promise<void> {
    while (!this.#exhausted && !this.#finished && this.#credits > 0) {
      const buffered = this.#source.buffersize !== Number.POSITIVE_INFINITY;
      const closed = this.#closed();
      // A bounded map keeps the engine open only while a read is in progress: what a read begun
      // before shutdown() brings is still submitted.
      const release = buffered && !closed ? this.#source.submitter.engine.holdOpen() : undefined;
      this.#readHold = release;
      try {
        const argLists: unknown[][] = [];
        while (argLists.length < this.#source.chunksize) {
          const args = await this.#readAsync();
          if (!args || this.#finished || this.#stopped) break;
          argLists.push(args);
        }
        if (this.#finished || this.#stopped) break;
        if (closed && argLists.length > 0) {
          this.#refuse();
          break;
        }
        this.#submit(argLists);
      } finally {
        release?.();
        this.#readHold = undefined;
      }
      this.#signalReader();
    }
    if (this.#exhausted) {
      this.#releaseEngine();
      this.#unregisterReader?.();
    }
  }

  /**
   * `shutdown({ cancelFutures: true })` or a broken pool: what has not been read would fail at
   * once, so it is not read. The calls already submitted are handed out as usual (cancelled ones
   * throw CancelledError); then the iteration throws `error` for the rest of the input.
   */
  #stopReading(error: unknown): void {
    if (this.#finished || this.#exhausted) return;
    this.#stopped = true;
    this.#failInput(error);
    this.#closeInputs();
    this.#releaseEngine();
    this.#readHold?.();
    this.#signalReader();
  }

  /** Whether reading more is refused: a bounded map after shutdown(). */
  #closed(): boolean {
    return this.#source.submitter.shutdown && this.#source.buffersize !== Number.POSITIVE_INFINITY;
  }

  /**
   * A bounded map submits as it goes; after shutdown() it cannot, and says so (as Python's
   * `executor.submit` inside its map does) if the input has more, once the results already
   * submitted are taken.
   */
  #refuse(): void {
    this.#failInput(new InvalidStateError('cannot schedule new futures after shutdown'));
    this.#closeInputs();
  }

  /** One argument list from the zipped inputs, or undefined when one of them is done. */
  #readSync(): unknown[] | undefined {
    const args: unknown[] = [];
    for (const iterator of this.#iterators as Iterator<unknown>[]) {
      let step: { done: boolean; value: unknown };
      try {
        step = readStep(iterator.next());
      } catch (error) {
        this.#failInput(error);
        this.#closeInputs(iterator);
        return undefined;
      }
      if (step.done) {
        this.#exhausted = true;
        this.#closeInputs(iterator);
        return undefined;
      }
      args.push(step.value);
    }
    if (this.#iterators.length === 0) this.#exhausted = true;
    return this.#exhausted ? undefined : args;
  }

  async #readAsync(): Promise<unknown[] | undefined> {
    const args: unknown[] = [];
    for (const iterator of this.#iterators) {
      let step: { done: boolean; value: unknown };
      try {
        step = readStep(await iterator.next());
      } catch (error) {
        this.#failInput(error);
        this.#closeInputs(iterator);
        return undefined;
      }
      if (step.done) {
        this.#exhausted = true;
        this.#closeInputs(iterator);
        return undefined;
      }
      args.push(step.value);
    }
    if (this.#iterators.length === 0) this.#exhausted = true;
    return this.#exhausted ? undefined : args;
  }

  #submit(argLists: unknown[][]): void {
    if (argLists.length === 0 || this.#finished) return;
    const { submitter, fn, record, chunksize } = this.#source;
    this.#credits--;
    if (chunksize > 1) this.#sizes.push(argLists.length);
    this.#queue.push(
      chunksize === 1
        ? submitter.call(fn, record, argLists[0] as unknown[])
        : submitter.chunk(fn, record, argLists),
    );
  }

  #failInput(error: unknown): void {
    this.#inputError ??= { error };
    this.#exhausted = true;
  }

  /** Closes the inputs we stop reading early (not `except`, which is done or threw). */
  #closeInputs(except?: AnyIterator): void {
    for (const iterator of this.#iterators) {
      if (iterator === except || typeof iterator.return !== 'function') continue;
      try {
        const closing = iterator.return();
        if (closing && typeof (closing as Promise<unknown>).then === 'function') {
          (closing as Promise<unknown>).then(undefined, () => {});
        }
      } catch {
        // Closing is best effort.
      }
    }
    this.#iterators.length = 0;
  }

  #releaseEngine(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const future of this.#queue.drain()) future.cancel();
    this.#segment = null;
    if (!this.#exhausted) {
      this.#exhausted = true;
      this.#closeInputs();
    }
    this.#releaseEngine();
    this.#unregisterReader?.();
    this.#signalReader();
  }
}

/** A FIFO without Array.prototype.shift (linear in the length on large arrays). */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined; // No reference kept to what was taken.
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  drain(): T[] {
    const items = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return items;
  }
}

/** Resolves true once `future` is done, false if `deadline` (performance.now()) passes first. */
function whenDone(future: Future<unknown>, deadline: number): Promise<boolean> {
  if (future.done()) return Promise.resolve(true);
  const left = deadline - performance.now();
  if (left <= 0) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const remove = futureInternals.onDone(future, () => {
      if (timer) clearTimeout(timer);
      resolve(true);
    });
    if (deadline !== Number.POSITIVE_INFINITY) {
      timer = setTimeout(() => {
        remove();
        resolve(future.done());
      }, Math.ceil(left));
    }
  });
}
