/**
 * The option types of every public class and method, in one place, with their defaults. What
 * checks them is in validate.ts and resolve.ts.
 */
import type { ResourceLimits, TransferListItem } from 'node:worker_threads';
import type { Backend } from '../threads/backend.js';

/** Something `postMessage` can move instead of copy: an ArrayBuffer, a MessagePort… */
export type Transferable = TransferListItem;

/** A task function, or a reference made by `fromModule()`. */
export type TaskFunction<A extends unknown[] = never[], R = unknown> = (...args: A) => R;

/** The options of `new ThreadPool(options)`. */
export interface ThreadPoolOptions {
  /**
   * How many tasks may run at the same time (Python's `processes`).
   * @default os.availableParallelism()
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ workers: 100 }); // as new ThreadPool(100)
   * ```
   */
  workers?: number;
  /**
   * How many worker threads (V8 isolates) carry those tasks. `0` runs tasks on the main thread's
   * event loop (like Python's `multiprocessing.dummy`). Threads start lazily.
   * @default Math.min(workers, os.availableParallelism())
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ workers: 256, threads: 2 }); // 256 slots on 2 threads
   * ```
   */
  threads?: number;
  /**
   * Runs once in each thread before it takes tasks; may be async. If it throws, the pool is broken
   * (BrokenPoolError).
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({
   *   initializer: (greeting: string) => {
   *     (globalThis as { greeting?: string }).greeting = greeting; // seen by this thread's tasks
   *   },
   *   initargs: ['hello'],
   * });
   * console.log(await pool.apply(() => (globalThis as { greeting?: string }).greeting)); // 'hello'
   * ```
   */
  initializer?: TaskFunction<never[], unknown>;
  /**
   * Arguments for `initializer`.
   * @default []
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * const init = (a: string, b: number) => console.log('thread ready:', a, b);
   * await using pool = new ThreadPool({ initializer: init, initargs: ['config', 42] });
   * await pool.apply(() => 'the first task starts a thread, which runs init first');
   * ```
   */
  initargs?: readonly unknown[];
  /**
   * How long a thread's initializer may take before the pool is declared broken.
   * @default 60000
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * const connect = () => new Promise((resolve) => setTimeout(resolve, 100));
   * await using pool = new ThreadPool({ initializer: connect, initializerTimeout: 5000 });
   * ```
   */
  initializerTimeout?: number;
  /**
   * A thread is replaced after it has run this many tasks (Python's `maxtasksperchild`).
   * @default undefined (never)
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ maxTasksPerThread: 1000 }); // e.g. for a leaky library
   * ```
   */
  maxTasksPerThread?: number;
  /**
   * Threads are named `${name}-${i}`.
   * @default 'spindle'
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ name: 'resize' }); // threads 'resize-0', 'resize-1'…
   * ```
   */
  name?: string;
  /**
   * V8 heap limits for each thread (see `worker_threads.ResourceLimits`). A thread that runs out
   * fails its tasks with WorkerExitError, and is replaced.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ resourceLimits: { maxOldGenerationSizeMb: 256 } });
   * ```
   */
  resourceLimits?: ResourceLimits;
  /**
   * A thread with no work for this many milliseconds exits (it restarts when needed).
   * @default Infinity
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ idleTimeout: 30_000 }); // idle threads exit after 30 s
   * ```
   */
  idleTimeout?: number;
  /**
   * The file worker threads start from: spindle's `dist/worker/thread.cjs`, for a program that
   * bundles spindle and ships that file somewhere of its own (a path, relative to the working
   * directory, or a `file:` URL). The file must exist when the pool is made. Without it, the file
   * is looked for where the environment variable `SPINDLE_WORKER_ENTRY` says, beside spindle's
   * own module, then in the spindle package installed where the program runs.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * // A bundle's build copies spindle/dist/worker/thread.cjs beside the bundle and names it:
   * // new ThreadPool({ workerEntry: new URL('./thread.cjs', import.meta.url) }). Here, the installed one:
   * const installed = new URL('dist/worker/thread.cjs', import.meta.resolve('spindle/package.json'));
   * await using pool = new ThreadPool({ workerEntry: installed });
   * ```
   * @default undefined (found as above)
   */
  workerEntry?: string | URL;
  /**
   * Measure how long tasks wait and run: `stats()` then gives `runTime`, `waitTime` and
   * `utilization` (otherwise `null`). Threads report when each task starts, which costs a small
   * pool of tiny tasks about a fifth of its throughput; the counts of `stats()` are always on.
   * @default false
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ timings: true });
   * console.log(pool.stats().runTime); // null until a task has run, then { count, min, mean, p50, … }
   * ```
   */
  timings?: boolean;
  /**
   * How long a running task that was aborted (its `signal`, or its `timeout`) may take to stop
   * before its thread is stopped and replaced (the tasks running beside it fail with
   * WorkerExitError). Milliseconds, a non-negative finite number.
   * @default 1000
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ abortGrace: 200 }); // a stuck aborted task: 200 ms, then its thread goes
   * ```
   */
  abortGrace?: number;
  /**
   * Where tasks run instead of this process's worker threads: a backend made by a backend factory,
   * such as `redis({ url, queue })` of `spindle/redis` (tasks run on the machines that serve that
   * queue with `spindle worker`). `threads` and `resourceLimits` do not apply then; `initializer`
   * (a task-module reference) runs on each worker, once per thread of the pool it keeps for this one.
   * @example
   * ```ts
   * import { fromModule, ThreadPool } from 'spindle';
   * import { redis } from 'spindle/redis';
   * const tasks = fromModule<typeof import('./tasks.js')>('./tasks.js');
   * await using pool = new ThreadPool({ workers: 64, backend: redis({ url: 'redis://127.0.0.1:6379', queue: 'tasks' }) });
   * // Run by the `spindle worker` processes serving the queue "tasks":
   * // console.log(await pool.map(tasks.square, [1, 2, 3]));
   * console.log(pool.workers, typeof tasks.square); // 64 'function'
   * ```
   */
  backend?: Backend;
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
  /** The `workerEntry` option as an absolute path, checked; undefined: looked for. */
  workerEntry: string | undefined;
  timings: boolean;
  abortGrace: number;
  /** The `backend` option: undefined runs tasks on this process's threads. */
  backend: Backend | undefined;
}

/** The options of `new ThreadPoolExecutor(options)`. */
export interface ThreadPoolExecutorOptions {
  /**
   * How many calls may run at the same time (Python's `max_workers`).
   * @default Math.min(32, os.availableParallelism() + 4)
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor({ maxWorkers: 64 }); // as new ThreadPoolExecutor(64)
   * ```
   */
  maxWorkers?: number;
  /**
   * How many worker threads (V8 isolates) carry them. `0` runs calls on the main thread's event
   * loop. Threads start lazily.
   * @default Math.min(maxWorkers, os.availableParallelism())
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor({ maxWorkers: 8, threads: 0 }); // main thread
   * ```
   */
  threads?: number;
  /**
   * Threads are named `${threadNamePrefix}-${i}`.
   * @default `ThreadPoolExecutor-${n}`
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor({ threadNamePrefix: 'fetch' }); // 'fetch-0'…
   * ```
   */
  threadNamePrefix?: string;
  /**
   * Runs once in each thread before it takes calls; may be async. If it throws, the executor is
   * broken (BrokenPoolError).
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor({
   *   initializer: () => console.log('a thread is ready'),
   * });
   * await executor.submit(() => 'the first call starts a thread: it prints first');
   * ```
   */
  initializer?: TaskFunction<never[], unknown>;
  /**
   * Arguments for `initializer`.
   * @default []
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * const init = (level: string) => console.log('log level:', level);
   * await using executor = new ThreadPoolExecutor({ initializer: init, initargs: ['debug'] });
   * await executor.submit(() => 'the first call starts a thread, which runs init first');
   * ```
   */
  initargs?: readonly unknown[];
  /**
   * How long a thread's initializer may take before the executor is declared broken.
   * @default 60000
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * const warmUp = () => new Promise((resolve) => setTimeout(resolve, 100));
   * await using executor = new ThreadPoolExecutor({ initializer: warmUp, initializerTimeout: 5000 });
   * ```
   */
  initializerTimeout?: number;
  /**
   * A thread is replaced after it has run this many calls.
   * @default undefined (never)
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor({ maxTasksPerThread: 500 });
   * ```
   */
  maxTasksPerThread?: number;
  /**
   * V8 heap limits for each thread (see `worker_threads.ResourceLimits`).
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor({
   *   resourceLimits: { maxOldGenerationSizeMb: 512 },
   * });
   * ```
   */
  resourceLimits?: ResourceLimits;
  /**
   * A thread with no work for this many milliseconds exits (it restarts when needed).
   * @default Infinity
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor({ idleTimeout: 10_000 });
   * ```
   */
  idleTimeout?: number;
  /**
   * The file worker threads start from: spindle's `dist/worker/thread.cjs`, for a program that
   * bundles spindle and ships that file somewhere of its own (a path, relative to the working
   * directory, or a `file:` URL). The file must exist when the executor is made. Without it, the file
   * is looked for where the environment variable `SPINDLE_WORKER_ENTRY` says, beside spindle's
   * own module, then in the spindle package installed where the program runs.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * // A bundle's build copies spindle/dist/worker/thread.cjs beside the bundle and names it:
   * // new ThreadPoolExecutor({ workerEntry: new URL('./thread.cjs', import.meta.url) }). Here, the installed one:
   * const installed = new URL('dist/worker/thread.cjs', import.meta.resolve('spindle/package.json'));
   * await using pool = new ThreadPoolExecutor({ workerEntry: installed });
   * ```
   * @default undefined (found as above)
   */
  workerEntry?: string | URL;
  /**
   * Measure how long tasks wait and run: `stats()` then gives `runTime`, `waitTime` and
   * `utilization` (otherwise `null`). Threads report when each task starts, which costs a small
   * pool of tiny tasks about a fifth of its throughput; the counts of `stats()` are always on.
   * @default false
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using pool = new ThreadPoolExecutor({ timings: true });
   * console.log(pool.stats().runTime); // null until a task has run, then { count, min, mean, p50, … }
   * ```
   */
  timings?: boolean;
  /**
   * How long a running call that was aborted (its `signal`, or its `timeout`) may take to stop
   * before its thread is stopped and replaced (the calls running beside it fail with
   * WorkerExitError). Milliseconds, a non-negative finite number.
   * @default 1000
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor({ abortGrace: 200 });
   * ```
   */
  abortGrace?: number;
  /**
   * Where tasks run instead of this process's worker threads: a backend made by a backend factory,
   * such as `redis({ url, queue })` of `spindle/redis` (tasks run on the machines that serve that
   * queue with `spindle worker`). `threads` and `resourceLimits` do not apply then; `initializer`
   * (a task-module reference) runs on each worker, once per thread of the pool it keeps for this one.
   * @example
   * ```ts
   * import { fromModule, ThreadPoolExecutor } from 'spindle';
   * import { redis } from 'spindle/redis';
   * const tasks = fromModule<typeof import('./tasks.js')>('./tasks.js');
   * await using executor = new ThreadPoolExecutor({ maxWorkers: 64, backend: redis({ url: 'redis://127.0.0.1:6379', queue: 'tasks' }) });
   * // Run by the `spindle worker` processes serving the queue "tasks":
   * // console.log(await executor.submit(tasks.square, 3));
   * console.log(typeof tasks.square); // 'function'
   * ```
   */
  backend?: Backend;
}

/** The options of `ThreadPoolExecutor.map()`, given after the iterables. */
export interface ExecutorMapOptions {
  /**
   * Aborting it cancels the whole map: calls not started are removed, running ones see it
   * through `signal()` of `spindle/task`, no more input is read, and the iterator throws the
   * signal's reason. (`timeout` here is Python's: the wait for each result, not a running-time
   * limit; `submitWith` takes one.)
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const controller = new AbortController();
   * const squares = executor.map((x: number) => x * x, [1, 2, 3, 4], { signal: controller.signal });
   * try {
   *   for await (const square of squares) {
   *     console.log(square); // 1, then the abort
   *     controller.abort(new Error('enough'));
   *   }
   * } catch (error) {
   *   console.log((error as Error).message); // 'enough'
   * }
   * ```
   */
  signal?: AbortSignal;
  /**
   * Milliseconds, counted from the `map()` call, within which each result must be ready; past it
   * `next()` throws TimeoutError and the calls not yet started are cancelled.
   * @default Infinity
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const results = executor.map((x: number) => x * 2, [1, 2, 3], { timeout: 30_000 });
   * console.log(await results.toArray()); // [2, 4, 6], or TimeoutError after 30 s
   * ```
   */
  timeout?: number | null;
  /**
   * Calls per task sent to a thread (fewer messages for many small calls).
   * @default 1
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const inputs = Array.from({ length: 100_000 }, (_, i) => i);
   * const results = executor.map((x: number) => x % 7, inputs, { chunksize: 1000 });
   * ```
   */
  chunksize?: number;
  /**
   * How many tasks may be submitted ahead of the consumer; the inputs are read only as results
   * are taken, so an endless input works (Python 3.14).
   * @default undefined (read everything at once)
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * function* ids() {
   *   for (let id = 0; ; id++) yield id;
   * }
   * for await (const id of executor.map((id: number) => id * 2, ids(), { buffersize: 16 })) {
   *   if (id >= 100) break; // only a few more than these were ever submitted
   * }
   * ```
   */
  buffersize?: number | null;
}

/** The options of `ThreadPoolExecutor.shutdown()`. */
export interface ShutdownOptions {
  /**
   * Resolve only once every submitted call is done and the threads have exited.
   * @default true
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * const executor = new ThreadPoolExecutor();
   * executor.submit((s: string) => console.log(s), 'finishes in the background');
   * await executor.shutdown({ wait: false }); // resolves at once; the call still runs
   * ```
   */
  wait?: boolean;
  /**
   * Cancel every future that has not started.
   * @default false
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * const executor = new ThreadPoolExecutor(2);
   * const futures = [1, 2, 3, 4, 5, 6].map((n) => executor.submit((x: number) => x, n));
   * await executor.shutdown({ cancelFutures: true });
   * console.log(futures.map((future) => future.cancelled())); // the last ones: true
   * ```
   */
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
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ abortGrace: 100 });
   * const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
   * const outcome = await pool
   *   .apply(sleep, [60_000], { signal: AbortSignal.timeout(100) })
   *   .catch((error: Error) => error.name);
   * console.log(outcome); // 'TimeoutError': the reason AbortSignal.timeout() aborts with
   * ```
   */
  signal?: AbortSignal;
  /**
   * Milliseconds each task may run, counted from when it starts on a thread (not while it
   * waits). Past it, the task is aborted as by `signal` and rejects with TimeoutError: this stops
   * even a synchronous endless loop (its thread is replaced), and the pool goes on serving. For
   * the map family it applies to each task (chunk). A non-negative finite number; leave it out
   * for no limit.
   * @default undefined (no limit)
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool({ abortGrace: 100 });
   * const spin = (): number => {
   *   for (;;) {}
   * };
   * await pool.apply(spin, [], { timeout: 200 }).catch((error: Error) => console.log(error.message));
   * // Task "spin" ran longer than its timeout of 200 ms
   * console.log(await pool.apply((x: number) => x + 1, [1])); // 2: the pool goes on serving
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
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const count = async (n: number) => {
   *   const { progress } = await import('spindle/task');
   *   for (let i = 1; i <= n; i++) progress(i);
   *   return n;
   * };
   * await pool.apply(count, [3], { onProgress: (done) => console.log('done', done) }); // 1, 2, 3
   * ```
   */
  onProgress?(value: unknown): void;
}

/** What every single-task issuing method takes: `transfer`, `signal`, `timeout`. */
export interface IssueOptions extends ControlOptions {
  /**
   * ArrayBuffers (and other transferables) in the arguments to move to the thread instead of
   * copying. A moved buffer is empty (detached) on the caller's side.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const pixels = new Uint8Array(1 << 20);
   * const sum = (data: Uint8Array) => data.reduce((total, byte) => total + byte, 0);
   * console.log(await pool.apply(sum, [pixels], { transfer: [pixels.buffer] })); // 0
   * console.log(pixels.byteLength); // 0: the buffer moved
   * ```
   */
  transfer?: readonly Transferable[];
}

/** The options of `ThreadPool.apply()`. */
export interface ApplyOptions extends IssueOptions, ProgressOptions {}

/** The options of the executor's `submitWith()`. */
export interface SubmitOptions extends IssueOptions, ProgressOptions {}

/** The options of `map`, `starmap`, `imap` and `imapUnordered` (or just a chunksize number). */
export interface MapOptions<T> extends ControlOptions {
  /**
   * Items per task.
   * @default Math.ceil(items / (workers * 4)) for map/starmap, 1 for imap
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const items = Array.from({ length: 100_000 }, (_, i) => i);
   * const halves = await pool.map((x: number) => x / 2, items, { chunksize: 5000 }); // or just 5000
   * ```
   */
  chunksize?: number;
  /**
   * Transferables in the items, moved to the thread instead of copied: a list, or a function of
   * an item.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const buffers = [new ArrayBuffer(1024), new ArrayBuffer(2048)];
   * const sizes = await pool.map((buffer: ArrayBuffer) => buffer.byteLength, buffers, {
   *   transfer: (buffer) => [buffer],
   * });
   * console.log(sizes); // [1024, 2048]
   * ```
   */
  transfer?: MapTransfer<T>;
}

/** The callbacks of `applyAsync`, `mapAsync` and `starmapAsync` (Python's `callback`, `error_callback`). */
export interface ResultCallbacks<R> {
  /**
   * Called on the main thread with the result, before `get()`/`wait()` resolve.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const result = pool.mapAsync((x: number) => x * 10, [1, 2, 3], {
   *   callback: (values) => console.log('callback got', values), // [10, 20, 30]
   * });
   * await result.wait();
   * ```
   */
  callback?(result: R): void;
  /**
   * Called on the main thread with the error, before `get()`/`wait()` resolve.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const result = pool.applyAsync(
   *   () => {
   *     throw new Error('Something bad happened!');
   *   },
   *   [],
   *   { errorCallback: (error) => console.log('failed:', (error as Error).message) },
   * );
   * await result.wait();
   * ```
   */
  errorCallback?(error: unknown): void;
}

/** The options of `ThreadPool.applyAsync()`. */
export interface ApplyAsyncOptions<R> extends IssueOptions, ProgressOptions, ResultCallbacks<R> {}

/** The options of `ThreadPool.mapAsync()` and `starmapAsync()` (or just a chunksize number). */
export interface MapAsyncOptions<T, R> extends MapOptions<T>, ResultCallbacks<R[]> {}

/** When `wait()` returns (Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`). */
export type ReturnWhen = 'FIRST_COMPLETED' | 'FIRST_EXCEPTION' | 'ALL_COMPLETED';

/** The options of {@link wait} (or just a timeout number). */
export interface WaitOptions {
  /**
   * Milliseconds to wait at most; then `wait()` resolves with what is done.
   * @default Infinity
   * @example
   * ```ts
   * import { ThreadPoolExecutor, wait } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const slow = executor.submit(() => new Promise((resolve) => setTimeout(resolve, 1000)));
   * const { notDone } = await wait([slow], { timeout: 100 });
   * console.log(notDone.size); // 1: no TimeoutError, `notDone` says what is left
   * ```
   */
  timeout?: number | null;
  /**
   * When to return.
   * @default ALL_COMPLETED
   * @example
   * ```ts
   * import { FIRST_COMPLETED, ThreadPoolExecutor, wait } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const futures = [100, 10].map((ms) => executor.submit((t: number) => t, ms));
   * const { done } = await wait(futures, { returnWhen: FIRST_COMPLETED }); // or 'FIRST_COMPLETED'
   * console.log(done.size >= 1); // true
   * ```
   */
  returnWhen?: ReturnWhen;
}

/** The options of {@link asCompleted} (or just a timeout number). */
export interface AsCompletedOptions {
  /**
   * Milliseconds, counted from the call, within which every future must be done; past it the
   * iterator throws TimeoutError.
   * @default Infinity
   * @example
   * ```ts
   * import { asCompleted, ThreadPoolExecutor, TimeoutError } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const slow = executor.submit(() => new Promise((resolve) => setTimeout(resolve, 1000)));
   * try {
   *   for await (const future of asCompleted([slow], { timeout: 100 })) console.log(future.done());
   * } catch (error) {
   *   console.log(error instanceof TimeoutError); // true
   * }
   * ```
   */
  timeout?: number | null;
}
