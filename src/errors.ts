/**
 * The error classes spindle raises itself. Each is a real subclass of `Error`, so callers can
 * test with `instanceof`, and each has a `name` equal to its class name.
 */

function nameClass(ctor: { prototype: Error; name: string }): void {
  Object.defineProperty(ctor.prototype, 'name', {
    value: ctor.name,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/**
 * A wait (`get`, `wait`, `next`, `result`, `asCompleted`) ran out of time. The task goes on.
 * @example
 * ```ts
 * import { ThreadPool, TimeoutError } from 'spindle';
 * await using pool = new ThreadPool();
 * const result = pool.applyAsync(() => new Promise((resolve) => setTimeout(resolve, 200)));
 * try {
 *   await result.get(10);
 * } catch (error) {
 *   console.log(error instanceof TimeoutError); // true: the task goes on
 * }
 * ```
 */
export class TimeoutError extends Error {}

/**
 * A call is not allowed in the object's current state: issuing to a closed pool, `join()` on a
 * running pool, `successful()` on a result that is not ready, submitting after `shutdown()`.
 * @example
 * ```ts
 * import { InvalidStateError, ThreadPool } from 'spindle';
 * const pool = new ThreadPool();
 * pool.close();
 * try {
 *   pool.applyAsync(() => 1);
 * } catch (error) {
 *   console.log(error instanceof InvalidStateError, (error as Error).message); // true 'Pool not running'
 * }
 * await pool.join();
 * ```
 */
export class InvalidStateError extends Error {}

/**
 * The task was cancelled before it could finish: `terminate()`, `Future.cancel()`,
 * `shutdown({ cancelFutures })`.
 * @example
 * ```ts
 * import { CancelledError, ThreadPool } from 'spindle';
 * const pool = new ThreadPool();
 * const task = pool.apply(() => new Promise((resolve) => setTimeout(resolve, 10_000)));
 * await pool.terminate();
 * await task.catch((error) => console.log(error instanceof CancelledError)); // true
 * ```
 */
export class CancelledError extends Error {}

/**
 * The pool can no longer run tasks because a thread failed to start (its initializer threw or
 * the thread exited while starting). `cause` holds the original failure.
 * @example
 * ```ts
 * import { BrokenPoolError, ThreadPool } from 'spindle';
 * await using pool = new ThreadPool({
 *   initializer: () => {
 *     throw new Error('no database');
 *   },
 * });
 * await pool.apply(() => 1).catch((error) => {
 *   if (error instanceof BrokenPoolError) console.log((error.cause as Error).message); // 'no database'
 * });
 * ```
 */
export class BrokenPoolError extends Error {}

/**
 * The thread (or, in a {@link ProcessPool}, the child process) running the task exited
 * (`process.exit()`, an uncaught error, out of memory, a signal). Only the tasks it was running
 * fail; the pool starts a new one and goes on.
 * @example
 * ```ts
 * import { ThreadPool, WorkerExitError } from 'spindle';
 * await using pool = new ThreadPool();
 * await pool.apply(() => process.exit(3)).catch((error) => {
 *   if (error instanceof WorkerExitError) console.log(error.exitCode); // 3
 * });
 * console.log(await pool.apply(() => 'still working'));
 * ```
 */
export class WorkerExitError extends Error {
  /**
   * The thread's exit code.
   * @example
   * ```ts
   * import { ThreadPool, WorkerExitError } from 'spindle';
   * await using pool = new ThreadPool();
   * const error = await pool.apply(() => process.exit(7)).catch((e: WorkerExitError) => e);
   * console.log(error.exitCode); // 7
   * ```
   */
  readonly exitCode: number;
  /**
   * The name of the thread that exited.
   * @example
   * ```ts
   * import { ThreadPool, WorkerExitError } from 'spindle';
   * await using pool = new ThreadPool({ name: 'scanner' });
   * const error = await pool.apply(() => process.exit(1)).catch((e: WorkerExitError) => e);
   * console.log(error.threadName); // 'scanner-0' or another thread of the pool
   * ```
   */
  readonly threadName: string;
  /**
   * The signal that killed the child process running the task (`'SIGKILL'`, `'SIGSEGV'`…), in a
   * {@link ProcessPool}; `null` when it exited by itself (then `exitCode` says how), and always
   * `null` for a thread.
   * @example
   * ```ts
   * import { ProcessPool, WorkerExitError } from 'spindle';
   * await using pool = new ProcessPool(2);
   * await pool.apply(() => process.kill(process.pid, 'SIGKILL')).catch((error) => {
   *   if (error instanceof WorkerExitError) console.log(error.signal); // 'SIGKILL'
   * });
   * ```
   */
  readonly signal: NodeJS.Signals | null;

  /**
   * Made by the pool; for tests of code that handles it.
   * @example
   * ```ts
   * import { WorkerExitError } from 'spindle';
   * const error = new WorkerExitError('The thread exited with code 1', 1, 'spindle-0');
   * console.log(error.name, error.exitCode, error.threadName); // WorkerExitError 1 spindle-0
   * ```
   */
  constructor(
    message: string,
    exitCode: number,
    threadName: string,
    options?: ErrorOptions & { signal?: NodeJS.Signals | null },
  ) {
    super(message, options);
    this.exitCode = exitCode;
    this.threadName = threadName;
    this.signal = options?.signal ?? null;
  }
}

for (const ctor of [
  TimeoutError,
  InvalidStateError,
  CancelledError,
  BrokenPoolError,
  WorkerExitError,
]) {
  nameClass(ctor);
}
