/**
 * The one input reader of the lazy maps (`imap`, `imapUnordered`, `executor.map`): reads a sync or
 * async iterable, or several zipped as Python's `zip` does, a chunk at a time, as a for-of would.
 *
 * - Sync inputs are read on the spot (the fast path); async ones by one async loop, one read at a
 *   time. An input is opened when the reader is made.
 * - An input that throws (from `@@iterator`, `next()`, or a `done`/`value` getter of its result)
 *   ends the reading with that error; the items read before it are still handed back, so the
 *   error comes after them. An input that threw is not closed (a for-of does not close it either),
 *   nor is one that is done; the others of a zip are.
 * - `close()` (the caller left early) and `stop()` (the pool or executor stopped) end the reading
 *   and close the inputs. A read under way is not waited for (an input may never answer): what it
 *   brings is dropped.
 */

/** An iterator result's `done` and `value`, read once (either may be a getter that throws). */
export function readStep(step: unknown): { done: boolean; value: unknown } {
  if (step === null || typeof step !== 'object') {
    throw new TypeError(`Iterator result ${String(step)} is not an object`);
  }
  const result = step as IteratorResult<unknown>;
  if (result.done) return { done: true, value: undefined };
  return { done: false, value: result.value };
}

export type Input = Iterable<unknown> | AsyncIterable<unknown>;
type AnyIterator = Iterator<unknown> | AsyncIterator<unknown>;

export const ReaderState = {
  /** More may be read. */
  Idle: 0,
  /** An async read is under way. */
  Reading: 1,
  /** An input is exhausted. */
  Ended: 2,
  /** Reading ended with `error` (the input's, or the one it was stopped or refused with). */
  Failed: 3,
  /** Left early, or stopped without an error: nothing more is read. */
  Closed: 4,
} as const;
export type ReaderState = (typeof ReaderState)[keyof typeof ReaderState];

/** No item: an input is done or threw. */
const END: unique symbol = Symbol('end of input');
const RESOLVED = Promise.resolve();
const ignore = (): void => {};

export function isAsyncInput(input: Input): boolean {
  return typeof (input as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}

export class InputReader {
  #state: ReaderState = ReaderState.Idle;
  #error: { error: unknown } | null = null;
  /** Some input is async: every read is. */
  readonly async: boolean;
  /** Each item is the list of one value per input (zip) rather than the one input's value. */
  readonly #zip: boolean;
  /** Emptied when the reading ends: a finished reader keeps no input alive. */
  #iterators: AnyIterator[] = [];

  constructor(inputs: readonly Input[], zip: boolean) {
    this.#zip = zip;
    this.async = inputs.some(isAsyncInput);
    try {
      for (const input of inputs) {
        this.#iterators.push(
          isAsyncInput(input)
            ? (input as AsyncIterable<unknown>)[Symbol.asyncIterator]()
            : (input as Iterable<unknown>)[Symbol.iterator](),
        );
      }
    } catch (error) {
      // Those already opened are left as they are, as a zip() that failed to open leaves them.
      this.#iterators = [];
      this.#end(ReaderState.Failed, { error });
      return;
    }
    if (this.#iterators.length === 0) this.#end(ReaderState.Ended, null);
  }

  get state(): ReaderState {
    return this.#state;
  }

  /** Whether nothing more will be read (Ended, Failed or Closed). */
  get done(): boolean {
    return this.#state >= ReaderState.Ended;
  }

  /** What the iteration ends with, after everything read: the input's error, or the stop's. */
  get error(): { error: unknown } | null {
    return this.#error;
  }

  /**
   * Up to `size` items: an array now for sync inputs, a promise of one for async inputs (the
   * state is Reading meanwhile). Fewer when an input ends or throws; none when the reader was
   * closed or stopped during the read.
   */
  read(size: number): unknown[] | Promise<unknown[]> {
    const items: unknown[] = [];
    if (this.#state !== ReaderState.Idle) return items;
    if (this.async) return this.#readAsync(items, size);
    // The sync fast path: no promise, no turn of the event loop.
    while (items.length < size && this.#state === ReaderState.Idle) {
      const item = this.#readSync();
      if (item !== END) items.push(item);
    }
    return items;
  }

  /**
   * Reading ends with `error` (the caller could not use what was read: a transfer function
   * threw, or the executor refuses new calls); the inputs are closed, their errors dropped.
   */
  fail(error: unknown): void {
    // Also once the input has ended: what was read cannot be used, and the caller must hear why.
    if (this.#state === ReaderState.Failed || this.#state === ReaderState.Closed) return;
    void closeAll(this.#end(ReaderState.Failed, { error }), false);
  }

  /**
   * Stopped from outside (the pool terminated or broke, `shutdown({ cancelFutures })`): reading
   * ends, with `error` after what was read if one is given, and the inputs are closed.
   */
  stop(error: { error: unknown } | null): void {
    if (this.done) return;
    void closeAll(this.#end(error ? ReaderState.Failed : ReaderState.Closed, error), false);
  }

  /**
   * The caller left early: the inputs are closed, as a for-of closes what it leaves. With no read
   * under way the close is awaited and an error of an input's `return()` is the caller's; during
   * a read it is not waited for (the read may never end) and nobody is left to receive it.
   */
  close(): Promise<void> {
    if (this.done) return RESOLVED;
    const reading = this.#state === ReaderState.Reading;
    return closeAll(this.#end(ReaderState.Closed, null), !reading);
  }

  /** Ends the reading; returns the inputs to close. */
  #end(state: ReaderState, error: { error: unknown } | null): AnyIterator[] {
    this.#state = state;
    this.#error ??= error;
    const iterators = this.#iterators;
    this.#iterators = [];
    return iterators;
  }

  /** The one async loop: #readSync's work, with each input's answer awaited (as a for-await). */
  async #readAsync(items: unknown[], size: number): Promise<unknown[]> {
    this.#state = ReaderState.Reading;
    const iterators = this.#iterators;
    while (items.length < size) {
      const values: unknown[] | undefined = this.#zip ? new Array(iterators.length) : undefined;
      let item: unknown;
      for (let k = 0; k < iterators.length; k++) {
        let step: { done: boolean; value: unknown } | undefined;
        let error: { error: unknown } | null = null;
        try {
          step = readStep(await (iterators[k] as AnyIterator).next());
        } catch (thrown) {
          error = { error: thrown };
        }
        // Closed or stopped while this read waited: what it brought is dropped.
        if (this.#state !== ReaderState.Reading) return [];
        if (!step || step.done) {
          this.#inputEnded(k, error);
          return items;
        }
        if (values) values[k] = step.value;
        else item = step.value;
      }
      items.push(values ?? item);
    }
    this.#state = ReaderState.Idle;
    return items;
  }

  /** One item read now, or END (the state then says why). */
  #readSync(): unknown {
    const iterators = this.#iterators as Iterator<unknown>[];
    const values: unknown[] | undefined = this.#zip ? new Array(iterators.length) : undefined;
    for (let k = 0; k < iterators.length; k++) {
      let step: { done: boolean; value: unknown };
      try {
        step = readStep((iterators[k] as Iterator<unknown>).next());
      } catch (error) {
        return this.#inputEnded(k, { error });
      }
      if (step.done) return this.#inputEnded(k, null);
      if (!values) return step.value;
      values[k] = step.value;
    }
    return values;
  }

  /** Input `k` is done, or threw: reading ends, and the other inputs of a zip are closed. */
  #inputEnded(k: number, error: { error: unknown } | null): typeof END {
    const iterators = this.#end(error ? ReaderState.Failed : ReaderState.Ended, error);
    iterators.splice(k, 1);
    void closeAll(iterators, false);
    return END;
  }
}

/**
 * Calls `return()` on each iterator, all at once. `keepError`: the first error is the caller's
 * (thrown once every input has been asked to close); otherwise errors are dropped.
 */
function closeAll(iterators: readonly AnyIterator[], keepError: boolean): Promise<void> {
  if (iterators.length === 0) return RESOLVED;
  let failure: { error: unknown } | null = null;
  const closing: PromiseLike<unknown>[] = [];
  for (const iterator of iterators) {
    try {
      if (typeof iterator.return !== 'function') continue;
      const result = iterator.return();
      if (isThenable(result)) closing.push(result);
    } catch (error) {
      failure ??= { error };
    }
  }
  if (!keepError) {
    for (const promise of closing) Promise.resolve(promise).then(undefined, ignore);
    return RESOLVED;
  }
  return Promise.all(closing).then(() => {
    if (failure) throw failure.error;
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
