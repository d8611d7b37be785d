/**
 * `Future<R>`: Python's `concurrent.futures.Future`, the handle `executor.submit()` returns.
 *
 * A small state machine: PENDING → RUNNING → FINISHED, or PENDING → CANCELLED (CPython's
 * `_base.Future`). RUNNING is not pushed by the thread: a future bound to a task asks the engine
 * whether the task has started whenever `running()` or `cancel()` needs to know, and the answer
 * sticks (a started task is never taken back). Settling twice is an InvalidStateError.
 *
 * Like AsyncResult it is PromiseLike but makes no promise until one is asked for, so a failed
 * future that nobody awaits never becomes an unhandled rejection.
 */
import { inspect } from 'node:util';
import type { Engine } from '../engine/engine.js';
import { reportCallbackError } from '../engine/report-error.js';
import type { Task } from '../engine/task.js';
import { addWaker, removeWaker, timedWait, type Wakers, wakeAll } from '../engine/wakers.js';
import { CancelledError, InvalidStateError, TimeoutError } from '../errors.js';
import { describe, expectTimeout } from '../options/validate.js';

const PENDING = 0;
const RUNNING = 1;
const CANCELLED = 2;
const FINISHED = 3;
type State = 0 | 1 | 2 | 3;
const STATE_NAMES = ['pending', 'running', 'cancelled', 'finished'] as const;

/** What a future bound to an executor's task needs from it. */
export interface FutureBinding {
  engine: Engine;
  task: Task;
  /** Reports an error thrown by a done-callback. */
  reportError: (error: unknown) => void;
  /** Called once when the future is done (finished or cancelled), e.g. to forget it. */
  release(): void;
}

/** For the executor and wait(): internal hooks, not part of the public API. */
export const futureInternals = {} as {
  bind<R>(future: Future<R>, binding: FutureBinding): void;
  /** Settles from the engine; throws InvalidStateError when already settled. */
  finish<R>(future: Future<R>, ok: boolean, value: unknown): void;
  /** Calls `wake` once when the future is done (at once if it is); returns a remover. */
  onDone(future: Future<unknown>, wake: () => void): () => void;
  /** Whether the future finished with an exception (not cancelled). */
  failed(future: Future<unknown>): boolean;
};

type DoneCallback = (future: Future<unknown>) => void;

/** For a future with no executor to report to (made by hand, or its executor is gone). */
function warnCallbackError(error: unknown): void {
  reportCallbackError(
    null,
    error,
    "A done-callback of a Future threw (listen to the executor's 'error' event to handle this)",
  );
}

/**
 * The pending result of one call (Python's `concurrent.futures.Future`), as
 * `ThreadPoolExecutor.submit()` returns it. A Future is awaitable: `await future` is
 * `await future.result()`.
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from 'spindle';
 * await using executor = new ThreadPoolExecutor();
 * const future = executor.submit((x: number) => x * 2, 21);
 * future.addDoneCallback((f) => console.log('done:', f.done()));
 * console.log(await future.result()); // 42
 * ```
 */
export class Future<R> implements PromiseLike<R> {
  #state: State = PENDING;
  /** For FINISHED: whether it holds a result (true) or an exception (false). */
  #ok = false;
  #value: unknown;
  /** Typed without R, so that Future<R> stays covariant (a Future<number> is a Future<unknown>). */
  #callbacks: DoneCallback[] | null = null;
  /** Internal wakers (then(), result(), wait(), asCompleted()…). */
  #waiters: Wakers = null;
  #promise: Promise<R> | null = null;
  /** How #done settles #promise, made before the future was done; null otherwise. */
  // (Typed by unknown: a field taking R would make Future<R> invariant in R.)
  #pendingSettle: { resolve: (value: unknown) => void; reject: (error: unknown) => void } | null =
    null;
  #binding: FutureBinding | null = null;
  /** The executor's error reporting (kept after the binding is dropped); a warning without one. */
  #reportError: ((error: unknown) => void) | undefined;

  /**
   * A future not bound to any task. Executors make their own; this constructor is for code that
   * implements its own executor and for tests, which settle it with `setResult()` /
   * `setException()` (as in Python).
   * @example
   * ```ts
   * import { Future } from 'spindle';
   * const future = new Future<string>();
   * setTimeout(() => future.setResult('ready'), 10);
   * console.log(await future); // 'ready'
   * ```
   */
  // biome-ignore lint/complexity/noUselessConstructor: documents the public, argument-less constructor.
  constructor() {}

  static {
    futureInternals.bind = (future, binding) => {
      future.#binding = binding;
      future.#reportError = binding.reportError;
    };
    futureInternals.finish = (future, ok, value) => future.#finish(ok, value);
    futureInternals.onDone = (future, wake) => future.#onDone(wake);
    futureInternals.failed = (future) => future.#state === FINISHED && !future.#ok;
  }

  /**
   * Cancels the call if it has not started. Returns false if it is running or finished, true if
   * it is (now or already) cancelled. Done-callbacks run at once.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor(1);
   * const busy = executor.submit(() => new Promise((resolve) => setTimeout(resolve, 100)));
   * const queued = executor.submit(() => 'never runs');
   * console.log(queued.cancel(), queued.cancelled()); // true true
   * await busy;
   * ```
   */
  cancel(): boolean {
    if (this.#state === CANCELLED) return true;
    if (this.#state !== PENDING) return false;
    const binding = this.#binding;
    if (binding) {
      if (binding.engine.isRunning(binding.task)) {
        this.#state = RUNNING;
        return false;
      }
      // The engine takes the task out of its queue or back from its thread; it does not tell
      // the task's job, so the future settles itself here. Should the engine say no while the
      // task has not started (it could not take it back just now), the future stays PENDING
      // rather than claim RUNNING: a later cancel() may succeed.
      if (!binding.engine.cancel(binding.task)) {
        if (binding.engine.isRunning(binding.task)) this.#state = RUNNING;
        return false;
      }
    }
    this.#state = CANCELLED;
    this.#done();
    return true;
  }

  /**
   * Whether the future was cancelled.
   * @example
   * ```ts
   * import { Future } from 'spindle';
   * const future = new Future<number>();
   * future.cancel();
   * console.log(future.cancelled(), future.done()); // true true
   * ```
   */
  cancelled(): boolean {
    return this.#state === CANCELLED;
  }

  /**
   * Whether the call is running now (started on a thread, not finished).
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const future = executor.submit(() => new Promise((resolve) => setTimeout(resolve, 100)));
   * await new Promise((resolve) => setTimeout(resolve, 50));
   * console.log(future.running()); // true once a thread has started it
   * ```
   */
  running(): boolean {
    if (this.#state === PENDING) {
      const binding = this.#binding;
      if (binding?.engine.isRunning(binding.task)) this.#state = RUNNING;
    }
    return this.#state === RUNNING;
  }

  /**
   * Whether the future is finished or cancelled.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const future = executor.submit(() => 'result');
   * console.log(future.done()); // false
   * await future.result();
   * console.log(future.done()); // true
   * ```
   */
  done(): boolean {
    return this.#state === FINISHED || this.#state === CANCELLED;
  }

  /**
   * The call's result. Rejects with the call's error, with CancelledError if the future was
   * cancelled, or with TimeoutError if it is not done within `timeout` ms (the call goes on).
   * @example
   * ```ts
   * import { ThreadPoolExecutor, TimeoutError } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const future = executor.submit(async () => {
   *   await new Promise((resolve) => setTimeout(resolve, 200));
   *   return 'slow';
   * });
   * await future.result(50).catch((error) => console.log(error instanceof TimeoutError)); // true
   * console.log(await future.result()); // 'slow'
   * ```
   */
  result(timeout?: number | null): Promise<R> {
    const ms = expectTimeout('timeout', timeout);
    if (this.done() || ms === Number.POSITIVE_INFINITY) return this.#settled();
    return this.#afterWait(ms).then(() => this.#settled());
  }

  /**
   * The call's error, or `null` if it succeeded. Rejects with CancelledError if the future was
   * cancelled, or with TimeoutError if it is not done within `timeout` ms.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const future = executor.submit((value: number) => {
   *   if (value < 0) throw new RangeError(`Bad value: ${value}`);
   *   return Math.sqrt(value);
   * }, -1);
   * console.log(await future.exception()); // RangeError: Bad value: -1 (null on success)
   * ```
   */
  exception(timeout?: number | null): Promise<unknown> {
    const ms = expectTimeout('timeout', timeout);
    const read = (): Promise<unknown> => {
      if (this.#state === CANCELLED) return Promise.reject(this.#cancellation());
      return Promise.resolve(this.#ok ? null : this.#value);
    };
    if (this.done()) return read();
    return this.#afterWait(ms).then(read);
  }

  /**
   * Calls `fn(future)` when the future is finished or cancelled, in the order added; at once if
   * it already is. An error thrown by `fn` is reported (the executor's 'error' event, or a
   * warning) and never affects the future or the other callbacks.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const future = executor.submit(() => 'result');
   * future.addDoneCallback(async (f) => console.log('done:', await f.result()));
   * ```
   */
  addDoneCallback(fn: (future: Future<R>) => void): void {
    if (typeof fn !== 'function') {
      throw new TypeError(`Expected \`fn\` to be a function, got ${describe(fn)}`);
    }
    if (!this.done()) {
      if (this.#callbacks) this.#callbacks.push(fn as DoneCallback);
      else this.#callbacks = [fn as DoneCallback];
      return;
    }
    this.#invoke(fn as DoneCallback);
  }

  /**
   * Marks an unbound future as running, or reports that it was cancelled (Python's
   * `set_running_or_notify_cancel`). For executor implementations and tests.
   * @example
   * ```ts
   * import { Future } from 'spindle';
   * const future = new Future<number>();
   * if (future.setRunningOrNotifyCancel()) future.setResult(42); // false had it been cancelled
   * console.log(await future); // 42
   * ```
   */
  setRunningOrNotifyCancel(): boolean {
    if (this.#state === CANCELLED) return false;
    if (this.#state === PENDING && !this.#binding) {
      this.#state = RUNNING;
      return true;
    }
    throw new InvalidStateError(`Future in unexpected state: ${STATE_NAMES[this.#state]}`);
  }

  /**
   * Sets the result of a future made with `new Future()`. For executor implementations and
   * tests; a future of `executor.submit()` is settled by its call only (InvalidStateError).
   * @example
   * ```ts
   * import { Future } from 'spindle';
   * const future = new Future<number>();
   * future.setResult(42);
   * console.log(future.done(), await future.result()); // true 42
   * ```
   */
  setResult(value: R): void {
    this.#checkUnbound();
    this.#finish(true, value);
  }

  /**
   * Sets the error of a future made with `new Future()`, as `setResult()` does its result.
   * @example
   * ```ts
   * import { Future } from 'spindle';
   * const future = new Future<number>();
   * future.setException(new Error('failed'));
   * console.log(await future.exception()); // Error: failed
   * ```
   */
  setException(error: unknown): void {
    this.#checkUnbound();
    this.#finish(false, error);
  }

  /**
   * As a promise's `then()`: a Future can be awaited, and passed to `Promise.all()`.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const futures = [1, 2, 3].map((n) => executor.submit((x: number) => x * x, n));
   * console.log(await Promise.all(futures)); // [1, 4, 9]
   * ```
   */
  // biome-ignore lint/suspicious/noThenProperty: a Future is deliberately PromiseLike.
  then<T1 = R, T2 = never>(
    onFulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onRejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    if (this.done()) return this.#settled().then(onFulfilled, onRejected);
    // One promise per then() while pending, not three: `await future` and Promise.all over
    // thousands of futures stay cheap. The handlers still run on a later turn than the caller's.
    return new Promise<T1 | T2>((resolve, reject) => {
      this.#waiters = addWaker(this.#waiters, () => {
        const fulfilled = this.#state === FINISHED && this.#ok;
        const value = fulfilled ? this.#value : this.#error();
        const handler = fulfilled ? onFulfilled : onRejected;
        if (typeof handler !== 'function') {
          if (fulfilled) resolve(value as T1);
          else reject(value);
          return;
        }
        try {
          resolve((handler as (value: unknown) => T1 | T2)(value));
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  /**
   * As a promise's `catch()`: the call's error, or CancelledError for a cancelled future.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const future = executor.submit(() => JSON.parse('not json'));
   * await future.catch((error) => console.log((error as Error).name)); // 'SyntaxError'
   * ```
   */
  catch<T = never>(onRejected?: ((reason: unknown) => T | PromiseLike<T>) | null): Promise<R | T> {
    return this.#settled().catch(onRejected);
  }

  /**
   * As a promise's `finally()`.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const future = executor.submit(() => 'result');
   * await future.finally(() => console.log('settled, either way'));
   * ```
   */
  finally(onFinally?: (() => void) | null): Promise<R> {
    return this.#settled().finally(onFinally);
  }

  /** `'Future'`, for `Object.prototype.toString`. */
  get [Symbol.toStringTag](): string {
    return 'Future';
  }

  /** As Python's repr: `Future <state=finished returned number>`. */
  [inspect.custom](): string {
    let detail = `state=${STATE_NAMES[this.#state]}`;
    if (this.#state === PENDING && this.running()) detail = 'state=running';
    if (this.#state === FINISHED) {
      const value = this.#value;
      let kind: string;
      if (value === null || value === undefined) kind = String(value);
      else if (value instanceof Error) kind = value.name;
      else if (typeof value === 'object') {
        kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      } else kind = typeof value;
      detail += this.#ok ? ` returned ${kind}` : ` raised ${kind}`;
    }
    return `Future <${detail}>`;
  }

  // ---- internals --------------------------------------------------------------------------------

  #checkUnbound(): void {
    if (this.#binding) {
      throw new InvalidStateError(
        "The future belongs to an executor's call: only the call settles it",
      );
    }
  }

  /** A cancelled future's CancelledError, made once (kept in #value). */
  #cancellation(): CancelledError {
    if (this.#value instanceof CancelledError) return this.#value;
    const error = new CancelledError('The future was cancelled');
    this.#value = error;
    return error;
  }

  /** One promise per future, made on first demand. */
  #settled(): Promise<R> {
    if (!this.#promise) {
      if (this.done()) this.#promise = this.#outcome();
      else {
        // Settled by #done itself: one promise, where a waker's promise chained to the outcome's
        // made four per `result()` (their garbage is the tail of a round trip).
        this.#promise = new Promise<R>((resolve, reject) => {
          this.#pendingSettle = { resolve: resolve as (value: unknown) => void, reject };
        });
      }
    }
    return this.#promise;
  }

  #outcome(): Promise<R> {
    return this.#state === FINISHED && this.#ok
      ? Promise.resolve(this.#value as R)
      : Promise.reject(this.#error());
  }

  /** The reason of a failed or cancelled future. */
  #error(): unknown {
    return this.#state === CANCELLED ? this.#cancellation() : this.#value;
  }

  /** Resolves when done; rejects with TimeoutError after `ms` (0: at once; Infinity: never). */
  #afterWait(ms: number): Promise<void> {
    if (this.done()) return Promise.resolve();
    return timedWait<void>(
      ms,
      (wake) => this.#onDone(wake),
      () => {
        throw new TimeoutError(
          ms === 0
            ? 'The future was not done (timeout 0 ms)'
            : `The future was not done within ${ms} ms`,
        );
      },
    );
  }

  /** Calls `wake` once done (at once if it is); returns a remover. */
  #onDone(wake: () => void): () => void {
    if (this.done()) {
      wake();
      return () => {};
    }
    this.#waiters = addWaker(this.#waiters, wake);
    return () => {
      this.#waiters = removeWaker(this.#waiters, wake);
    };
  }

  #finish(ok: boolean, value: unknown): void {
    if (this.#state === FINISHED || this.#state === CANCELLED) {
      throw new InvalidStateError(
        `The future is already ${STATE_NAMES[this.#state]}: it cannot be settled again`,
      );
    }
    this.#state = FINISHED;
    this.#ok = ok;
    this.#value = value;
    this.#done();
  }

  /** Just became FINISHED or CANCELLED: forget the task, wake the waiters, run the callbacks. */
  #done(): void {
    const binding = this.#binding;
    this.#binding = null;
    binding?.release();
    const waiters = this.#waiters;
    this.#waiters = null;
    wakeAll(waiters);
    const settle = this.#pendingSettle;
    if (settle !== null) {
      this.#pendingSettle = null;
      if (this.#state === FINISHED && this.#ok) settle.resolve(this.#value);
      else settle.reject(this.#error());
    }
    const callbacks = this.#callbacks;
    this.#callbacks = null;
    if (callbacks) for (const fn of callbacks) this.#invoke(fn);
  }

  #invoke(fn: DoneCallback): void {
    try {
      fn(this as Future<unknown>);
    } catch (error) {
      try {
        (this.#reportError ?? warnCallbackError)(error);
      } catch {
        // Reporting must never break the future either.
      }
    }
  }
}
