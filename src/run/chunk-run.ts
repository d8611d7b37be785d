/**
 * A map chunk running: its items start one after another, in input order, and the chunk reports
 * once, when every item has settled, with a value (or an error) per item.
 *
 * The chunk holds one task slot, and its own runner goes through the items in turn. A chunk of
 * the default chunksize whose items are asynchronous can also be helped: while its thread has
 * slots that no task waits for, a helper (holding a slot of its own) takes the next item not yet
 * started. Without that, the last chunks of a map run their items one by one while the slots
 * beside them stand idle: 1,000 GETs of 50 ms on 100 slots are 334 chunks of 3, and the last 34
 * chunks would take 150 ms where their 102 GETs fit in the 100 slots at once. Items still start
 * in input order, never more at once than the thread's slots, and each settles once. Slots help
 * only while the pool's queue is empty (see MAIN_QUEUED in protocol/control-words.ts): a slot
 * freed in the middle of a map gets the next chunk at once. A task that arrives later for a slot
 * a helper holds waits for that helper's item to end (a helper takes no more once a task waits):
 * one item, never a whole chunk as in CPython.
 */
import { type ChunkFailure, Outcome } from '../protocol/outcomes.js';

type AnyFunction = (...args: unknown[]) => unknown;

/** Where a chunk reports (ExecutionSink's part of it). */
export interface ChunkSink {
  complete(seq: number, outcome: Outcome, value: unknown, chunk?: boolean): void;
  wrapError(thrown: unknown): unknown;
}

/** The thread's side of helping chunks (see runtime.ts); absent where chunks are not helped. */
export interface ChunkHelpers {
  /** The chunk's own runner awaits an item and items remain unstarted: it may be helped. */
  offer(run: ChunkRun): void;
  /** Whether a helper may take another item (no task waits for its slot). */
  mayGoOn(): boolean;
  /** A helper stopped: its slot is free. */
  done(): void;
}

/** A result's `then`, read once and guarded (see execution.ts). */
export type ThenableCheck = (value: unknown) => 'value' | 'thenable' | { threw: unknown };

export class ChunkRun {
  readonly seq: number;
  readonly #fn: AnyFunction;
  readonly #star: boolean;
  readonly #items: ArrayLike<unknown>;
  readonly #sink: ChunkSink;
  readonly #helpers: ChunkHelpers | undefined;
  readonly #check: ThenableCheck;
  readonly #follow: (value: unknown) => Promise<unknown>;
  readonly #values: unknown[];
  #failures: [number, unknown][] | null = null;
  /** The next item no runner has started. */
  #next = 0;
  /** Items started or not that have not settled. */
  #unsettled: number;
  #offered = false;

  constructor(
    fn: AnyFunction,
    star: boolean,
    items: ArrayLike<unknown>,
    seq: number,
    sink: ChunkSink,
    helpers: ChunkHelpers | undefined,
    check: ThenableCheck,
    follow: (value: unknown) => Promise<unknown>,
  ) {
    this.seq = seq;
    this.#fn = fn;
    this.#star = star;
    this.#items = items;
    this.#sink = sink;
    this.#helpers = helpers;
    this.#check = check;
    this.#follow = follow;
    this.#values = new Array(items.length);
    this.#unsettled = items.length;
  }

  /** Whether some item has not been started by any runner. */
  get hasUnstarted(): boolean {
    return this.#next < this.#items.length;
  }

  /** The chunk's own runner: every item in turn (those no helper took first). */
  start(): void {
    if (this.#items.length === 0) {
      this.#report();
      return;
    }
    this.#run(false);
  }

  /** A helper, in a slot of its own: the next unstarted item, then more while it may. */
  help(): void {
    this.#run(true, true);
  }

  /**
   * Starts items from the next unstarted one until one awaits (the rest continues when it
   * settles) or none is left. A helper stops early when a task waits for its slot.
   */
  #run(helper: boolean, first = false): void {
    const items = this.#items;
    while (this.#next < items.length) {
      if (helper && !first && !(this.#helpers as ChunkHelpers).mayGoOn()) break;
      first = false;
      const i = this.#next++;
      let result: unknown;
      try {
        result = this.#star ? this.#fn.apply(undefined, items[i] as unknown[]) : this.#fn(items[i]);
      } catch (thrown) {
        this.#settle(i, false, thrown);
        continue;
      }
      const kind = this.#check(result);
      if (kind === 'value') {
        this.#settle(i, true, result);
        continue;
      }
      if (kind !== 'thenable') {
        this.#settle(i, false, kind.threw);
        continue;
      }
      this.#follow(result).then(
        (value) => {
          this.#settle(i, true, value);
          this.#run(helper);
        },
        (thrown) => {
          this.#settle(i, false, thrown);
          this.#run(helper);
        },
      );
      if (!helper && !this.#offered && this.#helpers && this.#next < items.length) {
        this.#offered = true;
        this.#helpers.offer(this);
      }
      return;
    }
    if (helper) (this.#helpers as ChunkHelpers).done();
  }

  #settle(index: number, ok: boolean, value: unknown): void {
    if (ok) this.#values[index] = value;
    else {
      this.#failures ??= [];
      this.#failures.push([index, this.#sink.wrapError(value)]);
    }
    if (--this.#unsettled === 0) this.#report();
  }

  #report(): void {
    const failures = this.#failures;
    if (failures === null) {
      this.#sink.complete(this.seq, Outcome.Ok, this.#values, true);
      return;
    }
    // Helped items may fail out of order; the chunk's failures are listed in item order.
    failures.sort((a, b) => a[0] - b[0]);
    this.#sink.complete(this.seq, Outcome.PartialChunk, {
      values: this.#values,
      failures,
    } satisfies ChunkFailure<unknown>);
  }
}
