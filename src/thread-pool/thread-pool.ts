/**
 * `ThreadPool`: Python's `multiprocessing.pool.ThreadPool` on worker threads. This class is the
 * public edge: it validates every argument synchronously, then hands tasks to the Engine.
 */
import { EventEmitter } from 'node:events';
import { CONTROL_KEYS, controlOf, PROGRESS_KEYS, parseControl } from '../control/parse.js';
import { Engine, PoolState } from '../engine/engine.js';
import { reportCallbackError } from '../engine/report-error.js';
import { Task } from '../engine/task.js';
import { InvalidStateError } from '../errors.js';
import type { AnyFunction, FunctionRecord } from '../functions/functions.js';
import { resolvePoolOptions } from '../options/resolve.js';
import type {
  ApplyAsyncOptions,
  ApplyOptions,
  MapAsyncOptions,
  MapOptions,
  MapTransfer,
  ResultCallbacks,
  ThreadPoolOptions,
  Transferable,
} from '../options/types.js';
import { copyArgs, expectArgsArray, expectIterable } from '../options/validate.js';
import { Mode } from '../protocol/messages.js';
import { AsyncResult, settleResult } from './async-result.js';
import { IMapIterator } from './imap.js';
import {
  chunk,
  chunkTransfer,
  defaultChunksize,
  parseMapArgument,
  parseOptions,
  readAll,
  starmapArguments,
} from './issue.js';
import { MapJob } from './map-job.js';

/** Any iterable or async iterable of `T`. */
export type Input<T> = Iterable<T> | AsyncIterable<T>;

const APPLY_KEYS = ['transfer', ...PROGRESS_KEYS];
const APPLY_ASYNC_KEYS = ['transfer', 'callback', 'errorCallback', ...PROGRESS_KEYS];
const MAP_KEYS = ['chunksize', 'transfer', ...CONTROL_KEYS];
const MAP_ASYNC_KEYS = ['chunksize', 'transfer', 'callback', 'errorCallback', ...CONTROL_KEYS];

const STATE_NAMES = ['RUN', 'CLOSE', 'TERMINATE'] as const;

export interface ThreadPoolEvents {
  /** A result callback or error callback threw. */
  error: [error: unknown];
}

export class ThreadPool extends EventEmitter<ThreadPoolEvents> {
  readonly #engine: Engine;

  /**
   * `new ThreadPool()`, `new ThreadPool(4)` (Python's `ThreadPool(processes=4)`), or
   * `new ThreadPool({ workers, threads, initializer, initargs, maxTasksPerThread, name,
   * resourceLimits, idleTimeout })`.
   */
  constructor(options?: number | ThreadPoolOptions) {
    super();
    const resolved = resolvePoolOptions(options);
    this.#engine = new Engine(resolved, (error) => this.#reportError(error));
  }

  /** How many tasks may run at once. */
  get workers(): number {
    return this.#engine.options.workers;
  }

  /** How many threads (isolates) may carry them (0: the main thread). */
  get threads(): number {
    return this.#engine.options.threads;
  }

  /** `'RUN'`, `'CLOSE'` or `'TERMINATE'`, as Python names them. */
  get state(): 'RUN' | 'CLOSE' | 'TERMINATE' {
    return STATE_NAMES[this.#engine.state];
  }

  /**
   * Runs `fn(...args)` in a thread and resolves with its result (Python's `apply`). Options:
   * `transfer`, `signal`, `timeout`, `onProgress` (see ControlOptions and ProgressOptions).
   * @example
   * ```ts
   * const sum = await pool.apply((a: number, b: number) => a + b, [1, 2], { timeout: 1000 });
   * ```
   */
  apply<A extends unknown[], R>(
    fn: (...args: A) => R,
    args?: A,
    options?: ApplyOptions,
  ): Promise<Awaited<R>> {
    const result = this.#applyAsync<Awaited<R>>(fn, args, options, APPLY_KEYS, 'apply');
    return result.get();
  }

  /**
   * Issues `fn(...args)` and returns an AsyncResult at once (Python's `apply_async`). Options:
   * `callback`, `errorCallback`, `transfer`, `signal`, `timeout`, `onProgress`.
   * @example
   * ```ts
   * const controller = new AbortController();
   * const result = pool.applyAsync(longTask, [input], {
   *   signal: controller.signal,
   *   onProgress: (value) => console.log('progress', value),
   * });
   * controller.abort(); // result rejects with controller.signal.reason
   * ```
   */
  applyAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    args?: A,
    options?: ApplyAsyncOptions<Awaited<R>>,
  ): AsyncResult<Awaited<R>> {
    return this.#applyAsync<Awaited<R>>(fn, args, options, APPLY_ASYNC_KEYS, 'applyAsync');
  }

  /** `fn(item)` for every item, in input order (Python's `map`). Reads the whole input first. */
  map<T, R>(
    fn: (item: T) => R,
    iterable: Input<T>,
    chunksize?: number | MapOptions<T>,
  ): Promise<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(fn, iterable, chunksize, MAP_KEYS, Mode.Map, 'map').get();
  }

  /** Like `map`, returning an AsyncResult at once (Python's `map_async`). */
  mapAsync<T, R>(
    fn: (item: T) => R,
    iterable: Input<T>,
    options?: number | MapAsyncOptions<T, Awaited<R>>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(fn, iterable, options, MAP_ASYNC_KEYS, Mode.Map, 'mapAsync');
  }

  /** `fn(...args)` for every argument list, in input order (Python's `starmap`). */
  starmap<A extends unknown[], R>(
    fn: (...args: A) => R,
    iterable: Input<NoInfer<A>>,
    chunksize?: number | MapOptions<NoInfer<A>>,
  ): Promise<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(
      fn,
      iterable,
      chunksize,
      MAP_KEYS,
      Mode.Starmap,
      'starmap',
    ).get();
  }

  /** Like `starmap`, returning an AsyncResult at once (Python's `starmap_async`). */
  starmapAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    iterable: Input<NoInfer<A>>,
    options?: number | MapAsyncOptions<NoInfer<A>, Awaited<R>>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(
      fn,
      iterable,
      options,
      MAP_ASYNC_KEYS,
      Mode.Starmap,
      'starmapAsync',
    );
  }

  /**
   * A lazy `map`: results in input order as they are ready (Python's `imap`). The input, sync or
   * async and possibly endless, is read only as fast as results are consumed.
   */
  imap<T, R>(
    fn: (item: T) => R,
    iterable: Input<T>,
    chunksize?: number | MapOptions<T>,
  ): IMapIterator<Awaited<R>> {
    return this.#imap<Awaited<R>>(fn, iterable, chunksize, true, 'imap');
  }

  /** Like `imap`, with results in the order they finish (Python's `imap_unordered`). */
  imapUnordered<T, R>(
    fn: (item: T) => R,
    iterable: Input<T>,
    chunksize?: number | MapOptions<T>,
  ): IMapIterator<Awaited<R>> {
    return this.#imap<Awaited<R>>(fn, iterable, chunksize, false, 'imapUnordered');
  }

  /** No new tasks; queued and running tasks finish, then the threads exit. */
  close(): void {
    this.#engine.close();
  }

  /**
   * Stops now: running threads are stopped and every task not yet settled rejects with
   * CancelledError. Resolves when the threads have exited.
   */
  terminate(): Promise<void> {
    return this.#engine.terminate();
  }

  /** Resolves once all threads have exited; rejects with InvalidStateError on a running pool. */
  join(): Promise<void> {
    if (this.#engine.state === PoolState.Run) {
      return Promise.reject(new InvalidStateError('Pool is still running'));
    }
    return this.#engine.whenFinished();
  }

  /** `await using pool = new ThreadPool()`: terminate, then join (Python's `with` block). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.terminate();
    await this.join();
  }

  // ---- internals --------------------------------------------------------------------------------

  #checkRunning(): void {
    if (this.#engine.state !== PoolState.Run) throw new InvalidStateError('Pool not running');
  }

  #record(fn: unknown): FunctionRecord {
    return this.#engine.record(fn);
  }

  #applyAsync<R>(
    fn: unknown,
    args: unknown,
    options: unknown,
    allowed: string[],
    what: string,
  ): AsyncResult<R> {
    const record = this.#record(fn);
    const argList = expectArgsArray('args', args);
    const parsed = parseOptions(what, options, allowed);
    const settings = parseControl(parsed);
    this.#checkRunning();
    const result = new AsyncResult<R>(
      parsed.callback === undefined && parsed.errorCallback === undefined
        ? undefined
        : (parsed as ResultCallbacks<R>),
      this.#engine.reportError,
    );
    if (settings?.signal?.aborted) {
      // Nothing is sent: the call rejects with the reason (on a later turn, as every failure).
      const reason = settings.signal.reason;
      queueMicrotask(() => settleResult(result, false, reason));
      return result;
    }
    let captured: unknown[];
    try {
      captured = copyArgs(argList);
    } catch (error) {
      // A getter or Proxy trap of the args array threw: the call fails with that very error, as
      // a map fails when reading its input throws (on a later turn, like any other failure).
      queueMicrotask(() => settleResult(result, false, error));
      return result;
    }
    const transfer = parsed.transfer as Transferable[] | undefined;
    const task = new Task(fn as AnyFunction, record, Mode.Call, captured, transfer, result, 0);
    const control = controlOf(this.#engine, settings);
    control?.adopt(task);
    this.#engine.submit(task);
    control?.seal();
    return result;
  }

  #mapAsync<R>(
    fn: unknown,
    iterable: unknown,
    argument: unknown,
    allowed: string[],
    mode: Mode,
    what: string,
  ): AsyncResult<R[]> {
    const record = this.#record(fn);
    expectIterable('iterable', iterable, true);
    const { chunksize, options } = parseMapArgument(what, argument, allowed);
    const settings = parseControl(options);
    this.#checkRunning();
    const result = new AsyncResult<R[]>(options as ResultCallbacks<R[]>, this.#engine.reportError);
    const fail = (error: unknown): void => settleResult(result, false, error);
    if (settings?.signal?.aborted) {
      // Nothing is read or sent: the call rejects with the reason.
      const reason = settings.signal.reason;
      queueMicrotask(() => fail(reason));
      return result;
    }
    const control = controlOf(this.#engine, settings);
    // Aborted while an async input is read: the call fails at once, and what is read is dropped.
    if (control) control.onAbort = fail;
    // Everything that runs the caller's code (reading items, starmap's argument lists, the
    // transfer function) is done before the first task is submitted: if any of it throws, the
    // call fails with that error and no task of it runs.
    const issue = (items: unknown[]): void => {
      if (mode === Mode.Starmap) items = items.map(starmapArguments);
      const size = chunksize ?? defaultChunksize(items.length, this.#engine.options.workers);
      const chunks = chunk(items, size);
      const job = new MapJob<R>(result, chunks.length);
      const transferOf = chunkTransfer(options.transfer as MapTransfer<unknown> | undefined);
      const tasks = new Array<Task>(chunks.length);
      for (let i = 0; i < chunks.length; i++) {
        const items = chunks[i] as unknown[];
        tasks[i] = new Task(fn as AnyFunction, record, mode, items, transferOf?.(items), job, i);
        control?.adopt(tasks[i] as Task);
      }
      for (const task of tasks) this.#engine.submit(task);
    };
    const broken = this.#engine.broken;
    if (broken) {
      // A broken pool runs nothing: the input is not read (an async one might never end).
      control?.seal();
      queueMicrotask(() => fail(broken));
      return result;
    }
    try {
      const items = readAll(iterable as Input<unknown>);
      if (Array.isArray(items)) issue(items);
      else {
        // The input is read on later turns; hold the pool open until its tasks are issued.
        const release = this.#engine.holdOpen(fail);
        items
          .then((read) => {
            // A pool terminated or broken (or the call aborted) while the input was read has
            // failed the call already.
            if (!result.ready()) issue(read);
          })
          .then(undefined, fail)
          .finally(() => {
            control?.seal();
            release();
          });
        return result;
      }
    } catch (error) {
      // The input threw while being read (or an item is not an argument list): the call fails
      // with that very error, on a later turn like any other failure.
      queueMicrotask(() => fail(error));
    }
    control?.seal();
    return result;
  }

  #imap<R>(
    fn: unknown,
    iterable: unknown,
    argument: unknown,
    ordered: boolean,
    what: string,
  ): IMapIterator<R> {
    const record = this.#record(fn);
    expectIterable('iterable', iterable, true);
    const { chunksize, options } = parseMapArgument(what, argument, MAP_KEYS);
    const settings = parseControl(options);
    this.#checkRunning();
    return new IMapIterator<R>({
      engine: this.#engine,
      fn: fn as AnyFunction,
      record,
      mode: Mode.Map,
      input: iterable as Input<unknown>,
      chunksize: chunksize ?? 1,
      ordered,
      transferOf: chunkTransfer(options.transfer as MapTransfer<unknown> | undefined),
      control: controlOf(this.#engine, settings),
    });
  }

  #reportError(error: unknown): void {
    reportCallbackError(
      this,
      error,
      "A result callback threw (listen to the pool's 'error' event to handle this)",
    );
  }
}
