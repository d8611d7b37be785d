/**
 * Python's module functions on groups of futures: `wait()` and `as_completed()`. Both take any
 * iterable of futures, from any executors, with duplicates (each future counts once), and hook
 * into the futures themselves, so they work with futures of several executors and with futures
 * made by hand.
 */

import { Fifo } from '../engine/fifo.js';
import { timedWait } from '../engine/wakers.js';
import { TimeoutError } from '../errors.js';
import type { AsCompletedOptions, WaitOptions } from '../options/types.js';
import {
  describe,
  expectIterable,
  expectPlainObject,
  expectTimeout,
  rejectUnknownKeys,
} from '../options/validate.js';
import { Future, futureInternals } from './future.js';

/**
 * `wait()` returns when any future finishes or is cancelled.
 * @example
 * ```ts
 * import { FIRST_COMPLETED, ThreadPoolExecutor, wait } from 'spindle';
 * await using executor = new ThreadPoolExecutor();
 * const nap = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms, ms));
 * const futures = [300, 50].map((ms) => executor.submit(nap, ms));
 * const { done } = await wait(futures, { returnWhen: FIRST_COMPLETED });
 * console.log(done.size); // 1: the 50 ms call
 * ```
 */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/**
 * `wait()` returns when any future finishes with an exception (a cancelled future does not
 * count), or when all are done.
 * @example
 * ```ts
 * import { FIRST_EXCEPTION, ThreadPoolExecutor, wait } from 'spindle';
 * await using executor = new ThreadPoolExecutor();
 * const check = (n: number) => {
 *   if (n === 2) throw new Error(`${n} is bad`);
 *   return n;
 * };
 * const futures = [1, 2, 3].map((n) => executor.submit(check, n));
 * const { done, notDone } = await wait(futures, { returnWhen: FIRST_EXCEPTION });
 * console.log(done.size + notDone.size); // 3; the failed call is among `done`
 * ```
 */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
/**
 * `wait()` returns when every future is finished or cancelled (the default).
 * @example
 * ```ts
 * import { ALL_COMPLETED, ThreadPoolExecutor, wait } from 'spindle';
 * await using executor = new ThreadPoolExecutor();
 * const futures = [1, 2, 3].map((n) => executor.submit((x: number) => x + 1, n));
 * const { notDone } = await wait(futures, { returnWhen: ALL_COMPLETED });
 * console.log(notDone.size); // 0
 * ```
 */
export const ALL_COMPLETED = 'ALL_COMPLETED';

export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/**
 * A future as `asCompleted()` yields it: at run time the Future itself. Its type hides `then`,
 * because TypeScript types each value of a `for await` loop as if it were awaited (a
 * `Future<number>` would be seen as a `number`). Get the value with `future.result()`, as in
 * Python; the object is still assignable to `Future<R>` (for a Map keyed by futures, `wait()`…).
 */
export type CompletedFuture<F> = F & {
  /** Hidden from the type (see above): read the value with `result()`. */
  readonly then: never;
};

/**
 * What `wait()` resolves with (Python's `DoneAndNotDoneFutures`): `const { done, notDone } =`,
 * or, like Python's named tuple, `const [done, notDone] =`.
 */
export interface DoneAndNotDoneFutures<F> extends Iterable<Set<F>> {
  /**
   * The futures finished or cancelled when `wait()` returned.
   * @example
   * ```ts
   * import { ThreadPoolExecutor, wait } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const futures = [1, 2].map((n) => executor.submit((x: number) => x * 10, n));
   * const { done } = await wait(futures);
   * for (const future of done) console.log(await future.result()); // 10, 20
   * ```
   */
  done: Set<F>;
  /**
   * The others.
   * @example
   * ```ts
   * import { ThreadPoolExecutor, wait } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const slow = executor.submit(() => new Promise((resolve) => setTimeout(resolve, 200)));
   * const { done, notDone } = await wait([slow], 10); // no TimeoutError: see what is left
   * console.log(done.size, notDone.has(slow)); // 0 true
   * ```
   */
  notDone: Set<F>;
}

/** A plain `{ done, notDone }` object, iterable (non-enumerably) as `[done, notDone]`. */
function doneAndNotDone<F>(done: Set<F>, notDone: Set<F>): DoneAndNotDoneFutures<F> {
  const result = { done, notDone };
  Object.defineProperty(result, Symbol.iterator, {
    value: function* () {
      yield done;
      yield notDone;
    },
    writable: true,
    configurable: true,
  });
  return result as DoneAndNotDoneFutures<F>;
}

const WAIT_KEYS = new Set(['timeout', 'returnWhen']);
const AS_COMPLETED_KEYS = new Set(['timeout']);
const RETURN_WHEN = new Set<unknown>([FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED]);

/** The distinct futures of `fs`, in first-seen order; a TypeError for anything else. */
function futureSet<F extends Future<unknown>>(fs: Iterable<F>): Set<F> {
  expectIterable('fs', fs, false);
  const set = new Set<F>();
  for (const future of fs) {
    if (!(future instanceof Future)) {
      throw new TypeError(
        `Expected \`fs\` to hold only Future objects (from executor.submit()), got ${describe(future)}`,
      );
    }
    set.add(future);
  }
  return set;
}

function timeoutOption(
  what: string,
  options: unknown,
  keys: Set<string>,
): { ms: number; options: Record<string, unknown> } {
  if (typeof options === 'number') return { ms: expectTimeout('timeout', options), options: {} };
  if (options === undefined || options === null) {
    return { ms: Number.POSITIVE_INFINITY, options: {} };
  }
  const parsed = expectPlainObject(`${what} options`, options);
  rejectUnknownKeys(what, parsed, keys);
  return { ms: expectTimeout('timeout', parsed.timeout), options: parsed };
}

/**
 * Waits for the futures (Python's `concurrent.futures.wait`) and resolves with the sets of those
 * done and not done, when `returnWhen` is met or `timeout` ms have passed (no TimeoutError:
 * `notDone` tells what is left). A cancelled future counts as done, not as an exception.
 * `wait(fs, 500)` is `wait(fs, { timeout: 500 })`.
 * @example
 * ```ts
 * import { ThreadPoolExecutor, wait } from 'spindle';
 * await using executor = new ThreadPoolExecutor();
 * const futures = [1, 2, 3].map((n) => executor.submit((x: number) => x * x, n));
 * const { done, notDone } = await wait(futures, { timeout: 30_000 });
 * console.log(done.size, notDone.size); // 3 0
 * ```
 */
export function wait<F extends Future<unknown>>(
  fs: Iterable<F>,
  options?: WaitOptions | number | null,
): Promise<DoneAndNotDoneFutures<F>> {
  const all = futureSet(fs);
  const { ms, options: parsed } = timeoutOption('wait', options, WAIT_KEYS);
  const returnWhen = parsed.returnWhen ?? ALL_COMPLETED;
  if (!RETURN_WHEN.has(returnWhen)) {
    const expected = `Expected \`returnWhen\` to be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got ${describe(returnWhen)}`;
    throw typeof returnWhen === 'string' ? new RangeError(expected) : new TypeError(expected);
  }

  const split = (): DoneAndNotDoneFutures<F> => {
    const done = new Set<F>();
    const notDone = new Set<F>();
    for (const future of all) (future.done() ? done : notDone).add(future);
    return doneAndNotDone(done, notDone);
  };
  let pending = 0;
  let failed = false;
  for (const future of all) {
    if (!future.done()) pending++;
    else if (futureInternals.failed(future)) failed = true;
  }
  const met = (): boolean =>
    pending === 0 ||
    (returnWhen === FIRST_COMPLETED && pending < all.size) ||
    (returnWhen === FIRST_EXCEPTION && failed);
  if (met()) return Promise.resolve(split());
  return timedWait<DoneAndNotDoneFutures<F>>(
    ms,
    (wake) => {
      const removers: (() => void)[] = [];
      for (const future of all) {
        if (future.done()) continue;
        removers.push(
          futureInternals.onDone(future, () => {
            pending--;
            if (futureInternals.failed(future)) failed = true;
            if (met()) {
              for (const remove of removers) remove();
              wake(split());
            }
          }),
        );
      }
      return () => {
        for (const remove of removers) remove();
      };
    },
    split,
  );
}

/**
 * The futures as they complete (Python's `concurrent.futures.as_completed`): those already done
 * first, then each as it finishes or is cancelled. `next()` rejects with TimeoutError once
 * `timeout` ms (counted from the call) have passed with futures left, and the iteration ends.
 * `asCompleted(fs, 500)` is `asCompleted(fs, { timeout: 500 })`.
 * @example
 * ```ts
 * import { asCompleted, ThreadPoolExecutor } from 'spindle';
 * await using executor = new ThreadPoolExecutor();
 * const nap = (ms: number) => new Promise<number>((resolve) => setTimeout(resolve, ms, ms));
 * const futures = [300, 100, 200].map((ms) => executor.submit(nap, ms));
 * for await (const future of asCompleted(futures, 30_000)) {
 *   console.log(await future.result()); // 100, 200, 300
 * }
 * ```
 */
export function asCompleted<F extends Future<unknown>>(
  fs: Iterable<F>,
  options?: AsCompletedOptions | number | null,
): AsCompletedIterator<F> {
  const all = futureSet(fs);
  const { ms } = timeoutOption('asCompleted', options, AS_COMPLETED_KEYS);
  return new AsCompletedIterator(all, ms);
}

/** The iterator `asCompleted()` returns: the futures themselves, as they complete. */
export class AsCompletedIterator<F extends Future<unknown>>
  implements AsyncIterableIterator<CompletedFuture<F>>
{
  /** Done and not yet handed out, in completion order. */
  readonly #ready = new Fifo<F>();
  /** Not done yet, with the remover of the hook each has. */
  readonly #pending = new Map<F, () => void>();
  readonly #total: number;
  readonly #deadline: number;
  /** Wakes the next() waiting for a future, if one is. */
  #wake: (() => void) | null = null;
  /** next() calls run one after the other: one waits at a time, and they are served in order. */
  #chain: Promise<unknown> = Promise.resolve();
  #finished = false;

  /** @internal Made by `asCompleted()`. */
  constructor(futures: Set<F>, ms: number) {
    this.#total = futures.size;
    this.#deadline = performance.now() + ms;
    for (const future of futures) {
      if (future.done()) this.#ready.push(future);
      else
        this.#pending.set(
          future,
          futureInternals.onDone(future, () => this.#completed(future)),
        );
    }
  }

  /**
   * The iterator itself: `for await (const future of asCompleted(futures))`.
   * @example
   * ```ts
   * import { asCompleted, ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const futures = ['a', 'b'].map((s) => executor.submit((x: string) => x.toUpperCase(), s));
   * for await (const future of asCompleted(futures)) console.log(await future.result());
   * ```
   */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next future to complete; rejects with TimeoutError when the timeout passes first.
   * @example
   * ```ts
   * import { asCompleted, ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const futures = [executor.submit(() => 'first'), executor.submit(() => 'second')];
   * const completed = asCompleted(futures);
   * const step = await completed.next();
   * if (!step.done) console.log(await step.value.result()); // whichever finished first
   * ```
   */
  next(): Promise<IteratorResult<CompletedFuture<F>>> {
    const step = this.#chain.then(() => this.#next());
    this.#chain = step.then(ignore, ignore);
    return step;
  }

  /**
   * Stops early: the futures are no longer watched. `break` in a `for await` loop calls it.
   * @example
   * ```ts
   * import { asCompleted, ThreadPoolExecutor } from 'spindle';
   * await using executor = new ThreadPoolExecutor();
   * const futures = [1, 2, 3].map((n) => executor.submit((x: number) => x, n));
   * for await (const future of asCompleted(futures)) {
   *   console.log('first to finish:', await future.result());
   *   break; // calls return()
   * }
   * ```
   */
  async return(): Promise<IteratorResult<CompletedFuture<F>>> {
    this.#finish();
    return { done: true, value: undefined };
  }

  /** `'AsCompletedIterator'`, for `Object.prototype.toString`. */
  get [Symbol.toStringTag](): string {
    return 'AsCompletedIterator';
  }

  #next(): Promise<IteratorResult<CompletedFuture<F>>> {
    const now = this.#take();
    if (now) return now;
    return timedWait<IteratorResult<CompletedFuture<F>>>(
      Math.ceil(this.#deadline - performance.now()),
      (wake) => {
        this.#wake = () => {
          const result = this.#take();
          if (!result) return;
          this.#wake = null;
          wake(result);
        };
        return () => {
          this.#wake = null;
        };
      },
      () => {
        const error = this.#timeoutError();
        this.#finish();
        throw error;
      },
    );
  }

  /** A settled result if one can be given now. */
  #take(): Promise<IteratorResult<CompletedFuture<F>>> | undefined {
    if (this.#finished) return Promise.resolve({ done: true, value: undefined });
    // Shifted out, so the iterator keeps no reference to what it has handed out.
    const future = this.#ready.shift();
    if (future) return Promise.resolve({ done: false, value: future as CompletedFuture<F> });
    if (this.#pending.size === 0) {
      this.#finish();
      return Promise.resolve({ done: true, value: undefined });
    }
    if (performance.now() >= this.#deadline) {
      const error = this.#timeoutError();
      this.#finish();
      return Promise.reject(error);
    }
    return undefined;
  }

  #completed(future: F): void {
    if (this.#finished || !this.#pending.delete(future)) return;
    // A future done after the deadline is not handed out: the timeout has already passed.
    if (performance.now() > this.#deadline) return;
    this.#ready.push(future);
    this.#wake?.();
  }

  #timeoutError(): TimeoutError {
    return new TimeoutError(`${this.#pending.size} (of ${this.#total}) futures unfinished`);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const remove of this.#pending.values()) remove();
    this.#pending.clear();
    this.#ready.drain();
    this.#wake?.();
  }
}

const ignore = (): void => {};
