/**
 * Python's AsyncResult: a handle on one task (`applyAsync`) or one map call (`mapAsync`,
 * `starmapAsync`). It is a real Promise (so `await result`, `.then()` and `Promise.all(results)`
 * take the engine's native fast path: its `constructor` is `Promise`) with Python's methods on top.
 * A failed result is marked handled before it rejects: a result nobody awaits never becomes an
 * unhandled rejection, and failures are reported where the user looks for them.
 */

import { type Job, SETTLE, type Task } from '../engine/task.js';
import { addWaker, removeWaker, timedWait, type Wakers, wakeAll } from '../engine/wakers.js';
import { InvalidStateError, TimeoutError } from '../errors.js';
import type { ResultCallbacks } from '../options/types.js';
import { expectTimeout } from '../options/validate.js';
import { Outcome } from '../protocol/messages.js';

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

/** Settles a result; for the pool's internals only. */
export let settleResult: <R>(result: AsyncResult<R>, ok: boolean, value: unknown) => void;

const ignore = (): void => {};
/*
 * Why resolvers are caught in module variables: a Promise subclass must call super(executor)
 * before it may touch `this`, so the executor cannot store them in the result's own fields, and
 * a closure per result would cost an allocation on the pool's hottest path. The executor runs
 * synchronously inside super(), and the constructor reads and clears the variables right after,
 * so no other result can come in between. Only `resolve` is kept: V8 makes both functions around
 * one shared context, and keeping `reject` too would hold one more closure (64 bytes) per result
 * in flight; a failure settles through `resolve` with a rejected promise instead.
 */
let captureResolve: ((value: unknown) => void) | undefined;
function capture(resolve: (value: unknown) => void): void {
  captureResolve = resolve;
}

/** A promise rejected with `reason`, to settle a result through its `resolve`. */
function rejected(reason: unknown): Promise<never> {
  const promise = Promise.reject(reason);
  promise.then(undefined, ignore);
  return promise;
}

/**
 * The result of `applyAsync`, `mapAsync` or `starmapAsync` (Python's `AsyncResult`). It is also a
 * Promise: `await result` is `await result.get()`.
 * @example
 * ```ts
 * import { ThreadPool } from 'spindle';
 * await using pool = new ThreadPool();
 * const result = pool.applyAsync(() => 6 * 7);
 * console.log(await result); // 42
 * ```
 */
export class AsyncResult<R> extends Promise<R> implements Job {
  #state: 0 | 1 | 2 = PENDING;
  #resolve: (value: unknown) => void;
  /** Timed waits (`get(ms)`, `wait(ms)`); one is kept as is, more in an array. */
  #waiters: Wakers = null;
  /** The call's callbacks, with where to report an error they throw; none for most results. */
  #callbacks: { callbacks: ResultCallbacks<R>; reportError: (error: unknown) => void } | undefined;

  /** @internal Made by the pool's issuing methods. */
  constructor(callbacks: ResultCallbacks<R> | undefined, reportError: (error: unknown) => void) {
    // One shared executor, not a closure per result.
    super(capture as never);
    this.#resolve = captureResolve as (value: unknown) => void;
    // Not kept past this constructor: they would keep this result (and its value) alive.
    captureResolve = undefined;
    if (callbacks !== undefined) this.#callbacks = { callbacks, reportError };
  }

  /** `then()` and friends return plain promises. */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  static {
    settleResult = (result, ok, value) => result.#settle(ok, value);
  }

  /** @internal A single task's result is its own job. */
  [SETTLE](_task: Task, outcome: Outcome, value: unknown): void {
    this.#settle(outcome === Outcome.Ok, value);
  }

  /**
   * Whether the call has finished (successfully or not).
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const result = pool.applyAsync(() => 'done');
   * console.log(result.ready()); // false
   * await result.wait();
   * console.log(result.ready()); // true
   * ```
   */
  ready(): boolean {
    return this.#state !== PENDING;
  }

  /**
   * Whether the call finished without an error. Throws InvalidStateError when not ready.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const result = pool.applyAsync(() => {
   *   throw new Error('Something bad happened!');
   * });
   * await result.wait();
   * console.log(result.successful()); // false: `await result` would throw the error
   * ```
   */
  successful(): boolean {
    if (this.#state === PENDING) throw new InvalidStateError('The result is not ready');
    return this.#state === FULFILLED;
  }

  /**
   * The result, or the task's error. With a `timeout` (ms), rejects with TimeoutError if the
   * result is not ready in time; the task goes on.
   * @example
   * ```ts
   * import { ThreadPool, TimeoutError } from 'spindle';
   * await using pool = new ThreadPool();
   * const result = pool.applyAsync(async () => {
   *   await new Promise((resolve) => setTimeout(resolve, 300));
   *   return 'done';
   * });
   * try {
   *   await result.get(50);
   * } catch (error) {
   *   if (error instanceof TimeoutError) console.log('not yet'); // the task goes on
   * }
   * console.log(await result.get()); // 'done'
   * ```
   */
  get(timeout?: number | null): Promise<R> {
    const ms = expectTimeout('timeout', timeout);
    if (this.#state !== PENDING || ms === Number.POSITIVE_INFINITY) return this;
    return this.#waitFor(ms, () => {
      throw new TimeoutError(
        ms === 0
          ? 'The result was not ready (timeout 0 ms)'
          : `The result was not ready within ${ms} ms`,
      );
    }).then(() => this);
  }

  /**
   * Waits until the result is ready, or `timeout` ms pass; resolves to `ready()`. Never rejects,
   * whatever the task does.
   * @example
   * ```ts
   * import { ThreadPool } from 'spindle';
   * await using pool = new ThreadPool();
   * const result = pool.mapAsync((x: number) => x * 2, [1, 2, 3]);
   * if (await result.wait(1000)) console.log('All Done');
   * else console.log('Not Done Yet');
   * ```
   */
  wait(timeout?: number | null): Promise<boolean> {
    const ms = expectTimeout('timeout', timeout);
    if (this.#state !== PENDING) return Promise.resolve(true);
    return this.#waitFor(ms, () => undefined).then(() => this.#state !== PENDING);
  }

  /** `'AsyncResult'`, for `Object.prototype.toString`. */
  override get [Symbol.toStringTag](): string {
    return 'AsyncResult';
  }

  /** Resolves once settled, or with `timedOut()` after `ms`. */
  #waitFor(ms: number, timedOut: () => undefined): Promise<void> {
    return timedWait<void>(
      ms,
      (wake) => {
        const waker = (): void => wake();
        this.#waiters = addWaker(this.#waiters, waker);
        return () => {
          this.#waiters = removeWaker(this.#waiters, waker);
        };
      },
      timedOut,
    );
  }

  #settle(ok: boolean, value: unknown): void {
    if (this.#state !== PENDING) return;
    this.#state = ok ? FULFILLED : REJECTED;
    const held = this.#callbacks;
    if (held !== undefined) {
      this.#callbacks = undefined;
      // Callbacks first (as Python runs them before the result is ready to waiters), and a
      // throwing callback is reported, never allowed to break the pool or the result.
      try {
        if (ok) held.callbacks.callback?.(value as R);
        else held.callbacks.errorCallback?.(value);
      } catch (error) {
        held.reportError(error);
      }
    }
    if (ok) this.#resolve(value);
    else {
      super.then(undefined, ignore);
      // Rejected through `resolve`: only `resolve` is kept (see capture above).
      this.#resolve(rejected(value));
    }
    const waiters = this.#waiters;
    this.#waiters = null;
    wakeAll(waiters);
  }
}

// `await result`, `Promise.resolve(result)` and `Promise.all` use a promise as it is only when its
// constructor is Promise itself; `instanceof AsyncResult` still holds through the prototype.
Object.defineProperty(AsyncResult.prototype, 'constructor', {
  value: Promise,
  writable: true,
  configurable: true,
});
