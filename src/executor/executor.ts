/**
 * `ThreadPoolExecutor`: Python's `concurrent.futures.ThreadPoolExecutor` on the same engine as
 * ThreadPool (task slots multiplexed on a few threads, inline functions or task modules). This
 * class is the public edge: it validates every argument synchronously, then hands calls to the
 * Submitter, which binds each to a Future.
 */
import { EventEmitter } from 'node:events';
import { controlOf, parseControl } from '../control/parse.js';
import { Engine } from '../engine/engine.js';
import type { WorkEvents } from '../engine/pool-events.js';
import { reportCallbackError } from '../engine/report-error.js';
import type { PoolStats } from '../engine/stats.js';
import { CancelledError, InvalidStateError } from '../errors.js';
import type { AnyFunction } from '../functions/functions.js';
import { resolveExecutorOptions, resolvePoolOptions } from '../options/resolve.js';
import type {
  ExecutorMapOptions,
  ShutdownOptions,
  SubmitOptions,
  ThreadPoolExecutorOptions,
  Transferable,
} from '../options/types.js';
import {
  describe,
  expectInteger,
  expectIterable,
  expectPlainObject,
  expectSignal,
  expectTimeout,
  isAsyncIterable,
  isIterable,
  rejectUnknownKeys,
} from '../options/validate.js';
import { hostKindFor } from '../threads/host.js';
import { poolKindOf } from '../threads/pool-kinds.js';
import { ExecutorMapIterator } from './executor-map.js';
import type { Future } from './future.js';
import { Submitter } from './submitter.js';

const DONE_CALLBACK_THREW =
  "A done-callback threw (listen to the executor's 'error' event to handle this)";

/**
 * The executor's events, typed as the pool's are (see WorkEvents for when each is emitted):
 * `'drain'`, `'idle'`, `'threadStart'`, `'threadExit'`, and `'error'` for a done-callback or a
 * listener that threw.
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from 'spindle';
 * await using executor = new ThreadPoolExecutor({ maxWorkers: 4 });
 * executor.on('threadExit', ({ reason }) => {
 *   if (reason === 'crash') console.warn('a thread died; a new one takes its work');
 * });
 * ```
 */
export interface ThreadPoolExecutorEvents extends WorkEvents {
  /**
   * A done-callback, or a listener of another event, threw. The future is not affected; with no
   * listener, the error is printed as a warning.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * executor.on('error', (error) => console.error('a done-callback threw:', error));
   * ```
   */
  error: [error: unknown];
}

/** One iterable (or async iterable) per parameter of the function. */
export type MapIterables<A extends readonly unknown[]> = {
  [K in keyof A]: Iterable<A[K]> | AsyncIterable<A[K]>;
};

const MAP_KEYS = new Set(['timeout', 'chunksize', 'buffersize', 'signal']);
const SUBMIT_KEYS = new Set(['signal', 'timeout', 'onProgress', 'transfer']);
const SHUTDOWN_KEYS = new Set(['wait', 'cancelFutures']);

/** An executor nobody can reach any more is shut down (without waiting), as in Python. */
const collected = new FinalizationRegistry<Submitter>((submitter) => submitter.engine.close());

/**
 * Python's `concurrent.futures.ThreadPoolExecutor`, on the same engine as {@link ThreadPool}:
 * `submit()` returns a {@link Future} that can be cancelled, waited on with {@link wait} and
 * {@link asCompleted}, and given done-callbacks.
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from 'spindle';
 * await using executor = new ThreadPoolExecutor(); // shutdown({ wait: true }) at the end
 * const future = executor.submit((a: number, b: number) => a * b, 6, 7);
 * console.log(await future.result()); // 42
 * ```
 */
export class ThreadPoolExecutor extends EventEmitter<ThreadPoolExecutorEvents> {
  readonly #submitter: Submitter;
  #finished: Promise<void> | undefined;

  /**
   * `new ThreadPoolExecutor()`, `new ThreadPoolExecutor(4)` (Python's `max_workers=4`), or
   * `new ThreadPoolExecutor({ maxWorkers, threads, threadNamePrefix, initializer, initargs })`.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * const executor = new ThreadPoolExecutor(16);
   * const other = new ThreadPoolExecutor({ maxWorkers: 100, threadNamePrefix: 'fetcher' });
   * await Promise.all([executor.shutdown(), other.shutdown()]);
   * ```
   */
  constructor(options?: number | ThreadPoolExecutorOptions) {
    super();
    // A subclass may carry calls on something else (ProcessPoolExecutor): threads/pool-kinds.ts.
    const kind = poolKindOf(new.target);
    const resolved = kind
      ? kind.resolve(options)
      : resolvePoolOptions(resolveExecutorOptions(options), 'ThreadPoolExecutor');
    const host = kind ? kind.host(resolved) : hostKindFor(resolved);
    // The engine outlives an executor nobody references (its threads finish their work), so it
    // must not keep the executor alive: errors are reported through a weak reference.
    const self = new WeakRef(this);
    const reportError = (error: unknown): void => {
      const executor = self.deref();
      if (executor) executor.#reportError(error);
      // The executor is gone, and with it its listeners: the error becomes a warning.
      else reportCallbackError(null, error, DONE_CALLBACK_THREW);
    };
    // Events too: an executor nobody references has no listeners left to tell.
    const events = {
      emit: (name: keyof WorkEvents, ...args: unknown[]) =>
        self.deref()?.emit(name, ...(args as never)),
      listens: (name: keyof WorkEvents) => (self.deref()?.listenerCount(name) ?? 0) > 0,
    };
    this.#submitter = new Submitter(new Engine(resolved, reportError, events, host), reportError);
    collected.register(this, this.#submitter, this);
  }

  /**
   * How many calls may run at once.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * console.log(executor.maxWorkers); // Math.min(32, cores + 4), as in Python
   * ```
   */
  get maxWorkers(): number {
    return this.#submitter.engine.options.workers;
  }

  /**
   * How many threads (isolates) may carry them (0: the main thread).
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor({ maxWorkers: 32, threads: 2 });
   * console.log(executor.threads); // 2: 32 calls at once on two threads
   * ```
   */
  get threads(): number {
    return this.#submitter.engine.options.threads;
  }

  /**
   * A snapshot of the executor's work: calls queued, running, completed, failed and cancelled (an
   * executor map's items each count), its threads (live, started, replaced), and with the
   * `timings` option `utilization` (0..1 since creation) and `waitTime`/`runTime` summaries in ms.
   * See PoolStats.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
   * await executor.submit((x: number) => x + 1, 1);
   * console.log(executor.stats().completed); // 1
   * ```
   */
  stats(): PoolStats {
    return this.#submitter.engine.stats();
  }

  /**
   * Schedules `fn(...args)` and returns its Future at once. Throws InvalidStateError after
   * `shutdown()`. If the executor is broken (an initializer failed), the future fails with
   * BrokenPoolError.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const future = executor.submit((s: string, n: number) => s.repeat(n), 'ab', 3);
   * console.log(await future); // 'ababab' (a Future is awaitable)
   * ```
   */
  submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
    const submitter = this.#submitter;
    const record = submitter.record(fn);
    this.#checkOpen();
    return submitter.call<Awaited<R>>(fn as AnyFunction, record, args);
  }

  /**
   * `submit` with options: `signal` (aborting it cancels the call, or aborts it while it runs),
   * `timeout` (ms of running time, then TimeoutError), `onProgress` (receives what the call
   * passes to `progress()` of `spindle/task`, in order, before the result) and `transfer`
   * (ArrayBuffers in the arguments to move instead of copy).
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const render = async (frames: number) => {
   *   const { progress, signal } = await import('spindle/task');
   *   for (let frame = 1; frame <= frames && !signal().aborted; frame++) progress(frame);
   *   return `${frames} frames`;
   * };
   * const future = executor.submitWith(
   *   { timeout: 5000, onProgress: (frame) => console.log('frame', frame) },
   *   render,
   *   3,
   * );
   * console.log(await future.result()); // '3 frames', after frame 1, 2, 3
   * ```
   */
  submitWith<A extends unknown[], R>(
    options: SubmitOptions,
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    const submitter = this.#submitter;
    const record = submitter.record(fn);
    const parsed = expectPlainObject('submitWith options', options);
    rejectUnknownKeys('submitWith', parsed, SUBMIT_KEYS);
    const transfer = parsed.transfer;
    if (transfer !== undefined && !Array.isArray(transfer)) {
      throw new TypeError(
        `Expected \`transfer\` to be an array of transferables, got ${describe(transfer)}`,
      );
    }
    const settings = parseControl(parsed);
    this.#checkOpen();
    const control = controlOf(submitter.engine, settings);
    const future = submitter.call<Awaited<R>>(
      fn as AnyFunction,
      record,
      args,
      control,
      transfer as readonly Transferable[] | undefined,
    );
    control?.seal();
    return future;
  }

  /**
   * `fn` applied to the items of the iterables zipped together (Python's `Executor.map`), as an
   * async iterator of results in input order. Options come last:
   * `executor.map(fn, xs, ys, { timeout, chunksize, buffersize, signal })`.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const power = (base: number, exponent: number) => base ** exponent;
   * for await (const result of executor.map(power, [2, 3, 4], [5, 2, 2], { timeout: 30_000 })) {
   *   console.log(result); // 32, 9, 16
   * }
   * ```
   */
  map<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...iterables: [...MapIterables<A>] | [...MapIterables<A>, ExecutorMapOptions]
  ): ExecutorMapIterator<Awaited<R>> {
    const submitter = this.#submitter;
    const record = submitter.record(fn);
    const inputs = [...(iterables as unknown[])];
    let options: Record<string, unknown> = {};
    const last = inputs[inputs.length - 1];
    if (last !== undefined && last !== null && !isIterable(last) && !isAsyncIterable(last)) {
      inputs.pop();
      options = expectPlainObject('map options', last);
      rejectUnknownKeys('map', options, MAP_KEYS);
    }
    inputs.forEach((input, i) => {
      expectIterable(`iterables[${i}]`, input, true);
    });
    const timeout = expectTimeout('timeout', options.timeout);
    const chunksize =
      options.chunksize === undefined ? 1 : expectInteger('chunksize', options.chunksize, 1);
    let buffersize = Number.POSITIVE_INFINITY;
    if (options.buffersize !== undefined && options.buffersize !== null) {
      buffersize = expectInteger('buffersize', options.buffersize, 1);
    }
    const signal = options.signal === undefined ? undefined : expectSignal(options.signal);
    this.#checkOpen();
    return new ExecutorMapIterator<Awaited<R>>({
      submitter,
      fn: fn as AnyFunction,
      record,
      inputs: inputs as (Iterable<unknown> | AsyncIterable<unknown>)[],
      chunksize,
      buffersize,
      deadline: performance.now() + timeout,
      control: controlOf(
        submitter.engine,
        signal === undefined
          ? undefined
          : { signal, timeout: Number.POSITIVE_INFINITY, onProgress: undefined },
      ),
    });
  }

  /**
   * No new calls (`submit()` and `map()` throw InvalidStateError). With `cancelFutures`, the
   * futures that have not started are cancelled, except those that already have a free task slot
   * (Python's threads would have taken them); the others finish. With `wait` (the default) the
   * promise resolves once they have and the threads have exited; without, at once. Safe to call
   * more than once. `shutdown(false)` is `shutdown({ wait: false })`.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * const executor = new ThreadPoolExecutor(1);
   * const first = executor.submit(() => 'first');
   * const second = executor.submit(() => 'second');
   * await executor.shutdown({ cancelFutures: true }); // `first` has a free slot: it runs
   * console.log(await first, second.cancelled()); // 'first' true
   * ```
   */
  shutdown(options?: ShutdownOptions | boolean): Promise<void> {
    let wait = true;
    let cancelFutures = false;
    if (typeof options === 'boolean') wait = options;
    else if (options !== undefined && options !== null) {
      const parsed = expectPlainObject('shutdown options', options);
      rejectUnknownKeys('shutdown', parsed, SHUTDOWN_KEYS);
      wait = parsed.wait === undefined ? true : expectBoolean('wait', parsed.wait);
      cancelFutures =
        parsed.cancelFutures === undefined
          ? false
          : expectBoolean('cancelFutures', parsed.cancelFutures);
    }
    const submitter = this.#submitter;
    // Closed first: a done-callback that runs as a future is cancelled below cannot submit more.
    submitter.engine.close();
    if (cancelFutures) {
      // Whatever a map has not read yet would be cancelled at once: stop reading it, so that no
      // input that never yields can hold the shutdown up.
      submitter.readers.stop(
        new CancelledError(
          'The executor was shut down (cancelFutures) before the rest of the input was read',
        ),
      );
      // Python cancels the work items still in its queue; those its worker threads have already
      // taken run on. Threads start lazily here, so a call that has a free task slot counts as
      // taken (it runs as soon as its thread is up): the first calls in submission order, up to
      // the free slots, are kept, and every other call that has not started is cancelled.
      let free = this.maxWorkers;
      const waiting: Future<unknown>[] = [];
      for (const future of submitter.pending()) {
        if (future.running()) free--;
        else waiting.push(future);
      }
      for (const future of waiting.slice(Math.max(0, free))) future.cancel();
    }
    collected.unregister(this);
    this.#finished ??= submitter.engine.whenFinished();
    return wait ? this.#finished : Promise.resolve();
  }

  /**
   * `await using executor = new ThreadPoolExecutor()`: `shutdown({ wait: true })` on exit (Python's
   * `with` block), so submitted calls finish first.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * {
   *   await using executor = new ThreadPoolExecutor();
   *   executor.submit((s: string) => console.log(s), 'runs to the end');
   * } // shut down here, after the call has finished
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  // ---- internals --------------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#submitter.shutDown) {
      throw new InvalidStateError('cannot schedule new futures after shutdown');
    }
  }

  #reportError(error: unknown): void {
    reportCallbackError(this, error, DONE_CALLBACK_THREW);
  }
}

function expectBoolean(what: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`Expected \`${what}\` to be a boolean, got ${describe(value)}`);
  }
  return value;
}
