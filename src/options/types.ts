/**
 * The option types of every public class and method, in one place, with their defaults. What
 * checks them is in validate.ts and resolve.ts.
 */
import type { ResourceLimits, TransferListItem } from 'node:worker_threads';

/** Something `postMessage` can move instead of copy: an ArrayBuffer, a MessagePort… */
export type Transferable = TransferListItem;

/** A task function, or a reference made by `fromModule()`. */
export type TaskFunction<A extends unknown[] = never[], R = unknown> = (...args: A) => R;

export interface ThreadPoolOptions {
  /**
   * How many tasks may run at the same time (Python's `processes`).
   * @default os.availableParallelism()
   */
  workers?: number;
  /**
   * How many worker threads (V8 isolates) carry those tasks. `0` runs tasks on the main thread's
   * event loop (like Python's `multiprocessing.dummy`). Threads start lazily.
   * @default Math.min(workers, os.availableParallelism())
   */
  threads?: number;
  /** Runs once in each thread before it takes tasks; may be async. */
  initializer?: TaskFunction<never[], unknown>;
  /** Arguments for `initializer`. @default [] */
  initargs?: readonly unknown[];
  /**
   * How long a thread's initializer may take before the pool is declared broken.
   * @default 60000
   */
  initializerTimeout?: number;
  /** A thread is replaced after it has run this many tasks (Python's `maxtasksperchild`). @default undefined (never) */
  maxTasksPerThread?: number;
  /** Threads are named `${name}-${i}`. @default 'spindle' */
  name?: string;
  /** V8 heap limits for each thread (see `worker_threads.ResourceLimits`). */
  resourceLimits?: ResourceLimits;
  /** A thread with no work for this many milliseconds exits (it restarts when needed). @default Infinity */
  idleTimeout?: number;
  /**
   * How long a running task that was aborted (its `signal`, or its `timeout`) may take to stop
   * before its thread is stopped and replaced (the tasks running beside it fail with
   * WorkerExitError). Milliseconds, a non-negative finite number.
   * @default 1000
   * @example
   * ```ts
   * const pool = new ThreadPool({ abortGrace: 200 });
   * ```
   */
  abortGrace?: number;
}

export interface ResolvedPoolOptions {
  workers: number;
  threads: number;
  initializer: TaskFunction<never[], unknown> | undefined;
  initargs: readonly unknown[];
  initializerTimeout: number;
  maxTasksPerThread: number;
  name: string;
  resourceLimits: ResourceLimits | undefined;
  idleTimeout: number;
  abortGrace: number;
}

export interface ThreadPoolExecutorOptions {
  /**
   * How many calls may run at the same time (Python's `max_workers`).
   * @default Math.min(32, os.availableParallelism() + 4)
   */
  maxWorkers?: number;
  /**
   * How many worker threads (V8 isolates) carry them. `0` runs calls on the main thread's event
   * loop. Threads start lazily.
   * @default Math.min(maxWorkers, os.availableParallelism())
   */
  threads?: number;
  /** Threads are named `${threadNamePrefix}-${i}`. @default `ThreadPoolExecutor-${n}` */
  threadNamePrefix?: string;
  /** Runs once in each thread before it takes calls; may be async. If it throws, the executor is broken. */
  initializer?: TaskFunction<never[], unknown>;
  /** Arguments for `initializer`. @default [] */
  initargs?: readonly unknown[];
  /** How long a thread's initializer may take before the executor is declared broken. @default 60000 */
  initializerTimeout?: number;
  /** A thread is replaced after it has run this many calls. @default undefined (never) */
  maxTasksPerThread?: number;
  /** V8 heap limits for each thread (see `worker_threads.ResourceLimits`). */
  resourceLimits?: ResourceLimits;
  /** A thread with no work for this many milliseconds exits (it restarts when needed). @default Infinity */
  idleTimeout?: number;
  /**
   * How long a running call that was aborted (its `signal`, or its `timeout`) may take to stop
   * before its thread is stopped and replaced. Milliseconds. @default 1000
   * @example
   * ```ts
   * const executor = new ThreadPoolExecutor({ abortGrace: 200 });
   * ```
   */
  abortGrace?: number;
}

export interface ExecutorMapOptions {
  /**
   * Aborting it cancels the whole map: calls not started are removed, running ones see it
   * through `signal()` of `spindle/task`, no more input is read, and the iterator throws the
   * signal's reason. (`timeout` here is Python's: the wait for each result, not a running-time
   * limit; `submitWith` takes one.)
   * @example
   * ```ts
   * for await (const page of executor.map(fetchPage, urls, { signal: AbortSignal.timeout(10_000) })) {
   *   console.log(page.length);
   * }
   * ```
   */
  signal?: AbortSignal;
  /**
   * Milliseconds, counted from the `map()` call, within which each result must be ready; past it
   * `next()` throws TimeoutError and the calls not yet started are cancelled. @default Infinity
   */
  timeout?: number | null;
  /** Calls per task sent to a thread (fewer messages for many small calls). @default 1 */
  chunksize?: number;
  /**
   * How many tasks may be submitted ahead of the consumer; the inputs are read only as results
   * are taken, so an endless input works (Python 3.14). @default undefined (read everything at once)
   */
  buffersize?: number | null;
}

export interface ShutdownOptions {
  /** Resolve only once every submitted call is done and the threads have exited. @default true */
  wait?: boolean;
  /** Cancel every future that has not started. @default false */
  cancelFutures?: boolean;
}

/** Transferables for a map's items: a list (matched to the items that hold them) or a function of an item. */
export type MapTransfer<T> = readonly Transferable[] | ((item: T) => readonly Transferable[]);

/** Cancelling a call and limiting its tasks' running time (every issuing method takes these). */
export interface ControlOptions {
  /**
   * Aborting it cancels the call: a task not started is removed (it never runs) and rejects with
   * `signal.reason`; a running task sees it through `signal()` of `spindle/task`, rejects with
   * the reason at once, and has `abortGrace` ms to stop before its thread is stopped and
   * replaced. For the map family one signal cancels the whole call; `imap` also stops reading.
   * An already aborted signal rejects the call before anything is sent.
   * @example
   * ```ts
   * const result = await pool.apply(crunch, [data], { signal: AbortSignal.timeout(5000) });
   * ```
   */
  signal?: AbortSignal;
  /**
   * Milliseconds each task may run, counted from when it starts on a thread (not while it
   * waits). Past it, the task is aborted as by `signal` and rejects with TimeoutError: this stops
   * even a synchronous endless loop (its thread is replaced), and the pool goes on serving. For
   * the map family it applies to each task (chunk). @default Infinity
   * @example
   * ```ts
   * await pool.apply(mayLoopForever, [input], { timeout: 2000 }); // TimeoutError after 2 s
   * ```
   */
  timeout?: number;
}

/** Progress reported by a running task. */
export interface ProgressOptions {
  /**
   * Receives each value the task passes to `progress()` of `spindle/task`, in order, on the main
   * thread, before the task's result. If it throws, the error goes to the pool's `'error'` event.
   * @example
   * ```ts
   * pool.applyAsync(render, [scene], { onProgress: (done) => bar.update(done) });
   * ```
   */
  onProgress?(value: unknown): void;
}

export interface IssueOptions extends ControlOptions {
  /** ArrayBuffers (and other transferables) in the arguments to move to the thread instead of copying. */
  transfer?: readonly Transferable[];
}

/** The options of `apply`. */
export interface ApplyOptions extends IssueOptions, ProgressOptions {}

/** The options of the executor's `submitWith`. */
export interface SubmitOptions extends IssueOptions, ProgressOptions {}

export interface MapOptions<T> extends ControlOptions {
  /** Items per task. @default Math.ceil(items / (workers * 4)) for map/starmap, 1 for imap */
  chunksize?: number;
  /** Transferables in the items, moved to the thread instead of copied. */
  transfer?: MapTransfer<T>;
}

export interface ResultCallbacks<R> {
  /** Called on the main thread with the result, before `get()`/`wait()` resolve. */
  callback?(result: R): void;
  /** Called on the main thread with the error, before `get()`/`wait()` resolve. */
  errorCallback?(error: unknown): void;
}

export interface ApplyAsyncOptions<R> extends IssueOptions, ProgressOptions, ResultCallbacks<R> {}

export interface MapAsyncOptions<T, R> extends MapOptions<T>, ResultCallbacks<R[]> {}

/** When `wait()` returns (Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`). */
export type ReturnWhen = 'FIRST_COMPLETED' | 'FIRST_EXCEPTION' | 'ALL_COMPLETED';

export interface WaitOptions {
  /** Milliseconds to wait at most; then `wait()` resolves with what is done. @default Infinity */
  timeout?: number | null;
  /** When to return. @default ALL_COMPLETED */
  returnWhen?: ReturnWhen;
}

export interface AsCompletedOptions {
  /**
   * Milliseconds, counted from the call, within which every future must be done; past it the
   * iterator throws TimeoutError. @default Infinity
   */
  timeout?: number | null;
}
