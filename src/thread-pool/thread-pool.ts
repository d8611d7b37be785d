/**
 * `ThreadPool`: Python's `multiprocessing.pool.ThreadPool` on worker threads. This class is the
 * public edge: it validates every argument synchronously, then hands tasks to the Engine.
 */
import { EventEmitter } from 'node:events';
import { CONTROL_KEYS, controlOf, PROGRESS_KEYS, parseControl } from '../control/parse.js';
import { Engine, PoolState } from '../engine/engine.js';
import type { WorkEvents } from '../engine/pool-events.js';
import { reportCallbackError } from '../engine/report-error.js';
import type { PoolStats } from '../engine/stats.js';
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
import { hostKindFor } from '../threads/host.js';
import { poolKindOf } from '../threads/pool-kinds.js';
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

/**
 * `T`, not a site to infer `T` from: TypeScript 5.4's `NoInfer<T>`, written so that TypeScript 5.0
 * reads it too (a conditional type on `T` is left unresolved until `T` is known). starmap takes
 * its tuple type from the function alone, so a wrong tuple is an error rather than a widening.
 */
export type FromFunctionOnly<T> = [T][T extends unknown ? 0 : never];

const APPLY_KEYS = ['transfer', ...PROGRESS_KEYS];
const APPLY_ASYNC_KEYS = ['transfer', 'callback', 'errorCallback', ...PROGRESS_KEYS];
const MAP_KEYS = ['chunksize', 'transfer', ...CONTROL_KEYS];
const MAP_ASYNC_KEYS = ['chunksize', 'transfer', 'callback', 'errorCallback', ...CONTROL_KEYS];

const STATE_NAMES = ['RUN', 'CLOSE', 'TERMINATE'] as const;

/**
 * The pool's events, typed: `pool.on('threadExit', (e) => e.reason)`. Besides `'error'`, the
 * work and thread events (see WorkEvents for when each is emitted): `'drain'`, `'idle'`,
 * `'threadStart'`, `'threadExit'`. Listeners run on the main thread, never in the middle of the
 * pool's own bookkeeping: they may call any method of any pool. One that throws is reported
 * through `'error'` (or as a warning), and never breaks the pool.
 * @example
 * ```ts
 * import { ThreadPool } from 'spindle';
 * await using pool = new ThreadPool({ workers: 4, maxTasksPerThread: 100 });
 * pool.on('threadExit', ({ name, exitCode, reason }) => console.log(name, exitCode, reason));
 * pool.on('idle', () => console.log(pool.stats()));
 * ```
 */
export interface ThreadPoolEvents extends WorkEvents {
  /**
   * A result callback or error callback, or a listener of another event, threw. The task's result
   * is not affected; with no listener, the error is printed as a warning.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * pool.on('error', (error) => console.error('a callback threw:', error));
   * ```
   */
  error: [error: unknown];
}

/**
 * Python's `multiprocessing.pool.ThreadPool`: `workers` task slots on a few worker threads
 * (one V8 isolate per core by default), so `new ThreadPool(1024)` runs 1,024 I/O-bound tasks at
 * once. Task functions are inline functions (sent by source, so they cannot see the caller's
 * variables) or references made by {@link fromModule}.
 * @example
 * ```ts
 * import { ThreadPool } from 'spindle';
 * await using pool = new ThreadPool(); // terminate() and join() at the end of the block
 * const squares = await pool.map((x: number) => x * x, [1, 2, 3]); // [1, 4, 9]
 * ```
 */
export class ThreadPool extends EventEmitter<ThreadPoolEvents> {
  readonly #engine: Engine;

  /**
   * `new ThreadPool()`, `new ThreadPool(4)` (Python's `ThreadPool(processes=4)`), or
   * `new ThreadPool({ workers, threads, initializer, initargs, maxTasksPerThread, name,
   * resourceLimits, idleTimeout })`.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * const cpu = new ThreadPool(); // one task slot per core
   * const io = new ThreadPool(1024); // 1,024 tasks at once, still one thread per core
   * const named = new ThreadPool({ workers: 8, threads: 2, name: 'crawler' });
   * await Promise.all([cpu, io, named].map((pool) => pool.terminate()));
   * ```
   */
  constructor(options?: number | ThreadPoolOptions) {
    super();
    // A subclass may carry tasks on something else (ProcessPool): see threads/pool-kinds.ts.
    const kind = poolKindOf(new.target);
    const resolved = kind ? kind.resolve(options) : resolvePoolOptions(options);
    const host = kind ? kind.host(resolved) : hostKindFor(resolved);
    const events = {
      emit: (name: keyof WorkEvents, ...args: unknown[]) => this.emit(name, ...(args as never)),
      listens: (name: keyof WorkEvents) => this.listenerCount(name) > 0,
    };
    this.#engine = new Engine(resolved, (error) => this.#reportError(error), events, host);
  }

  /**
   * How many tasks may run at once.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool(64);
   * console.log(pool.workers, pool.threads); // 64, and one thread per core (at most 64)
   * ```
   */
  get workers(): number {
    return this.#engine.options.workers;
  }

  /**
   * How many threads (isolates) may carry them (0: the main thread).
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ workers: 4, threads: 0 }); // multiprocessing.dummy
   * console.log(pool.threads); // 0: tasks run on the main thread's event loop
   * ```
   */
  get threads(): number {
    return this.#engine.options.threads;
  }

  /**
   * `'RUN'`, `'CLOSE'` or `'TERMINATE'`, as Python names them.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * const pool = new ThreadPool();
   * pool.close();
   * console.log(pool.state); // 'CLOSE'
   * await pool.join();
   * ```
   */
  get state(): 'RUN' | 'CLOSE' | 'TERMINATE' {
    return STATE_NAMES[this.#engine.state];
  }

  /**
   * A snapshot of the pool's work: calls queued, running, completed, failed and cancelled (a map's
   * items each count), its threads (live, started, replaced), and with the `timings` option how
   * busy its task slots were since creation (`utilization`, 0..1) and how long tasks waited and
   * ran (`waitTime`, `runTime`: min, mean, p50, p90, p99, max in ms). See PoolStats.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ workers: 2, timings: true });
   * await pool.map((ms: number) => new Promise((r) => setTimeout(r, ms)), [50, 50, 50, 50], 1);
   * const { completed, runTime, utilization } = pool.stats();
   * console.log(completed, runTime?.p50, utilization); // 4, about 50, close to 1
   * ```
   */
  stats(): PoolStats {
    return this.#engine.stats();
  }

  /**
   * Runs `fn(...args)` in a thread and resolves with its result (Python's `apply`). Options:
   * `transfer`, `signal`, `timeout`, `onProgress` (see ControlOptions and ProgressOptions).
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const sum = await pool.apply((a: number, b: number) => a + b, [1, 2]); // 3
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
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const result = pool.applyAsync((x: number) => x * 2, [21], {
   *   callback: (value) => console.log('callback:', value),
   * });
   * console.log(result.ready()); // false: it has just been issued
   * console.log(await result.get()); // 42 (or `await result`)
   * ```
   */
  applyAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    args?: A,
    options?: ApplyAsyncOptions<Awaited<R>>,
  ): AsyncResult<Awaited<R>> {
    return this.#applyAsync<Awaited<R>>(fn, args, options, APPLY_ASYNC_KEYS, 'applyAsync');
  }

  /**
   * `fn(item)` for every item, in input order (Python's `map`). Reads the whole input first.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const lengths = await pool.map((s: string) => s.length, ['a', 'bb', 'ccc']); // [1, 2, 3]
   * const big = await pool.map((x: number) => x + 1, Array(10_000).fill(0), 500); // chunks of 500
   * ```
   */
  map<T, R>(
    fn: (item: T) => R,
    iterable: Input<T>,
    chunksize?: number | MapOptions<T>,
  ): Promise<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(fn, iterable, chunksize, MAP_KEYS, Mode.Map, 'map').get();
  }

  /**
   * Like `map`, returning an AsyncResult at once (Python's `map_async`).
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const result = pool.mapAsync((x: number) => x * x, [1, 2, 3]);
   * await result.wait(); // the tasks run on meanwhile
   * console.log(result.successful(), await result); // true [1, 4, 9]
   * ```
   */
  mapAsync<T, R>(
    fn: (item: T) => R,
    iterable: Input<T>,
    options?: number | MapAsyncOptions<T, Awaited<R>>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(fn, iterable, options, MAP_ASYNC_KEYS, Mode.Map, 'mapAsync');
  }

  /**
   * `fn(...args)` for every argument list, in input order (Python's `starmap`).
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const pairs: [number, number][] = [[1, 2], [3, 4]];
   * const sums = await pool.starmap((a: number, b: number) => a + b, pairs); // [3, 7]
   * ```
   */
  starmap<A extends unknown[], R>(
    fn: (...args: A) => R,
    iterable: Input<FromFunctionOnly<A>>,
    chunksize?: number | MapOptions<FromFunctionOnly<A>>,
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

  /**
   * Like `starmap`, returning an AsyncResult at once (Python's `starmap_async`).
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const result = pool.starmapAsync((s: string, n: number) => s.repeat(n), [['ab', 2], ['c', 3]]);
   * console.log(await result.get(30_000)); // ['abab', 'ccc'], or TimeoutError after 30 s
   * ```
   */
  starmapAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    iterable: Input<FromFunctionOnly<A>>,
    options?: number | MapAsyncOptions<FromFunctionOnly<A>, Awaited<R>>,
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
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * function* naturals() {
   *   for (let n = 1; ; n++) yield n;
   * }
   * for await (const square of pool.imap((n: number) => n * n, naturals())) {
   *   if (square > 100) break; // leaving the loop stops reading the endless input
   *   console.log(square);
   * }
   * ```
   */
  imap<T, R>(
    fn: (item: T) => R,
    iterable: Input<T>,
    chunksize?: number | MapOptions<T>,
  ): IMapIterator<Awaited<R>> {
    return this.#imap<Awaited<R>>(fn, iterable, chunksize, true, 'imap');
  }

  /**
   * Like `imap`, with results in the order they finish (Python's `imap_unordered`).
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool(10);
   * const nap = async (ms: number) => {
   *   await new Promise((resolve) => setTimeout(resolve, ms));
   *   return ms;
   * };
   * for await (const ms of pool.imapUnordered(nap, [300, 100, 200])) {
   *   console.log(ms); // 100, 200, 300: as they finish
   * }
   * ```
   */
  imapUnordered<T, R>(
    fn: (item: T) => R,
    iterable: Input<T>,
    chunksize?: number | MapOptions<T>,
  ): IMapIterator<Awaited<R>> {
    return this.#imap<Awaited<R>>(fn, iterable, chunksize, false, 'imapUnordered');
  }

  /**
   * No new tasks; queued and running tasks finish, then the threads exit.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * const pool = new ThreadPool();
   * const result = pool.mapAsync((x: number) => x * 2, [1, 2, 3]);
   * pool.close(); // issuing more now throws InvalidStateError
   * await pool.join(); // every issued task has finished
   * console.log(await result); // [2, 4, 6]
   * ```
   */
  close(): void {
    this.#engine.close();
  }

  /**
   * Stops now: running threads are stopped and every task not yet settled rejects with
   * CancelledError. Resolves when the threads have exited.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * const pool = new ThreadPool();
   * const forever = pool.apply(() => new Promise<never>(() => {}));
   * await pool.terminate();
   * await forever.catch((error: Error) => console.log(error.name)); // 'CancelledError'
   * ```
   */
  terminate(): Promise<void> {
    return this.#engine.terminate();
  }

  /**
   * Resolves once all threads have exited; rejects with InvalidStateError on a running pool.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * const pool = new ThreadPool();
   * pool.applyAsync((s: string) => console.log(s), ['hello from a thread']);
   * pool.close();
   * await pool.join(); // close() first: join() on a running pool rejects
   * ```
   */
  join(): Promise<void> {
    if (this.#engine.state === PoolState.Run) {
      return Promise.reject(new InvalidStateError('Pool is still running'));
    }
    return this.#engine.whenFinished();
  }

  /**
   * `await using pool = new ThreadPool()`: terminate, then join (Python's `with` block). Tasks
   * still unfinished at the end of the block reject with CancelledError: wait for them first.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * {
   *   await using pool = new ThreadPool();
   *   console.log(await pool.map((x: number) => x + 1, [1, 2])); // [2, 3]
   * } // the pool is terminated and joined here
   * // in plain JavaScript on Node 20 and 22, without `await using`:
   * const pool = new ThreadPool();
   * try {
   *   console.log(await pool.apply(() => 'done'));
   * } finally {
   *   await pool[Symbol.asyncDispose]();
   * }
   * ```
   */
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
      // The caller did not choose the chunking: helping a chunk's items along changes nothing
      // they asked for (see run/chunk-run.ts).
      const job = new MapJob<R>(result, chunks.length, chunksize === undefined);
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
