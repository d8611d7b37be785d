/**
 * Python's AsyncResult: a handle on one task (`applyAsync`) or one map call (`mapAsync`,
 * `starmapAsync`). It is PromiseLike, so `await result` works, but it makes no promise until one
 * is asked for: a failed result that nobody awaits never becomes an unhandled rejection.
 */
import { InvalidStateError, TimeoutError } from '../errors.js';
import { expectTimeout } from '../options.js';

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

export interface ResultCallbacks<R> {
  /** Called on the main thread with the result, before `get()`/`wait()` resolve. */
  callback?(result: R): void;
  /** Called on the main thread with the error, before `get()`/`wait()` resolve. */
  errorCallback?(error: unknown): void;
}

/** Settles a result; for the pool's internals only. */
export let settleResult: <R>(result: AsyncResult<R>, ok: boolean, value: unknown) => void;

export class AsyncResult<R> implements PromiseLike<R> {
  #state: 0 | 1 | 2 = PENDING;
  #value: unknown;
  /** One waiter is kept as is; more in an array. */
  #waiters: (() => void) | (() => void)[] | null = null;
  #promise: Promise<R> | null = null;
  #callbacks: ResultCallbacks<R> | undefined;
  readonly #reportError: (error: unknown) => void;

  /** @internal Made by the pool's issuing methods. */
  constructor(callbacks: ResultCallbacks<R> | undefined, reportError: (error: unknown) => void) {
    this.#callbacks = callbacks;
    this.#reportError = reportError;
  }

  static {
    settleResult = (result, ok, value) => result.#settle(ok, value);
  }

  /** Whether the call has finished (successfully or not). */
  ready(): boolean {
    return this.#state !== PENDING;
  }

  /** Whether the call finished without an error. Throws InvalidStateError when not ready. */
  successful(): boolean {
    if (this.#state === PENDING) throw new InvalidStateError('The result is not ready');
    return this.#state === FULFILLED;
  }

  /**
   * The result, or the task's error. With a `timeout` (ms), rejects with TimeoutError if the
   * result is not ready in time; the task goes on.
   */
  get(timeout?: number | null): Promise<R> {
    const ms = expectTimeout('timeout', timeout);
    if (this.#state !== PENDING || ms === Number.POSITIVE_INFINITY) return this.#settled();
    if (ms === 0)
      return Promise.reject(new TimeoutError('The result was not ready (timeout 0 ms)'));
    return new Promise<R>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        if (this.#state === FULFILLED) resolve(this.#value as R);
        else reject(this.#value);
      };
      const timer = setTimeout(() => {
        this.#removeWaiter(wake);
        reject(new TimeoutError(`The result was not ready within ${ms} ms`));
      }, ms);
      this.#addWaiter(wake);
    });
  }

  /** Waits until the result is ready, or `timeout` ms pass; resolves to `ready()`. */
  wait(timeout?: number | null): Promise<boolean> {
    const ms = expectTimeout('timeout', timeout);
    if (this.#state !== PENDING || ms === 0) return Promise.resolve(this.#state !== PENDING);
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (): void => {
        if (timer) clearTimeout(timer);
        resolve(true);
      };
      if (ms !== Number.POSITIVE_INFINITY) {
        timer = setTimeout(() => {
          this.#removeWaiter(wake);
          resolve(false);
        }, ms);
      }
      this.#addWaiter(wake);
    });
  }

  // biome-ignore lint/suspicious/noThenProperty: an AsyncResult is deliberately PromiseLike.
  then<T1 = R, T2 = never>(
    onFulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onRejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    if (this.#state !== PENDING) return this.#settled().then(onFulfilled, onRejected);
    // One promise per then() while pending, not three: `await result` and Promise.all over
    // thousands of results stay cheap. The handlers still run on a later turn than the caller's.
    return new Promise<T1 | T2>((resolve, reject) => {
      this.#addWaiter(() => {
        const fulfilled = this.#state === FULFILLED;
        const handler = fulfilled ? onFulfilled : onRejected;
        if (typeof handler !== 'function') {
          if (fulfilled) resolve(this.#value as T1);
          else reject(this.#value);
          return;
        }
        try {
          resolve((handler as (value: unknown) => T1 | T2)(this.#value));
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  catch<T = never>(onRejected?: ((reason: unknown) => T | PromiseLike<T>) | null): Promise<R | T> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<R> {
    return this.#settled().finally(onFinally);
  }

  get [Symbol.toStringTag](): string {
    return 'AsyncResult';
  }

  #settled(): Promise<R> {
    if (!this.#promise) {
      if (this.#state === FULFILLED) this.#promise = Promise.resolve(this.#value as R);
      else if (this.#state === REJECTED) this.#promise = Promise.reject(this.#value);
      else {
        this.#promise = new Promise<R>((resolve, reject) => {
          this.#addWaiter(() => {
            if (this.#state === FULFILLED) resolve(this.#value as R);
            else reject(this.#value);
          });
        });
      }
    }
    return this.#promise;
  }

  #addWaiter(wake: () => void): void {
    const waiters = this.#waiters;
    if (waiters === null) this.#waiters = wake;
    else if (typeof waiters === 'function') this.#waiters = [waiters, wake];
    else waiters.push(wake);
  }

  #removeWaiter(wake: () => void): void {
    const waiters = this.#waiters;
    if (waiters === wake) this.#waiters = null;
    else if (Array.isArray(waiters)) {
      const index = waiters.indexOf(wake);
      if (index >= 0) waiters.splice(index, 1);
    }
  }

  #settle(ok: boolean, value: unknown): void {
    if (this.#state !== PENDING) return;
    this.#state = ok ? FULFILLED : REJECTED;
    this.#value = value;
    const callbacks = this.#callbacks;
    this.#callbacks = undefined;
    // Callbacks first (Python runs them before the result is marked ready to waiters), and a
    // throwing callback is reported, never allowed to break the pool or the result.
    try {
      if (ok) callbacks?.callback?.(value as R);
      else callbacks?.errorCallback?.(value);
    } catch (error) {
      this.#reportError(error);
    }
    const waiters = this.#waiters;
    this.#waiters = null;
    if (typeof waiters === 'function') waiters();
    else if (waiters) for (const wake of waiters) wake();
  }
}
