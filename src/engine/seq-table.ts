/**
 * The tasks a thread holds, by seq: what `Map<number, Task>` did, for keys that come in
 * ascending order and mostly leave in that order. A ring indexed by `seq - base` does it without
 * hashing, and without the table a Map grows, shrinks and rebuilds as it fills and empties (a
 * Map emptied of its last entry made a new table on every round trip; 200,000 tasks in flight
 * cost ~180 ns each through a Map's set, get and delete, ~30 through the ring).
 *
 * A seq that stays while those after it leave (a long task beside many short ones) would leave
 * the ring ever wider and emptier: when it grows and half its span is holes, the entries at its
 * front move to a small Map of stragglers, so the ring stays about as wide as the number it holds.
 *
 * Iteration is in ascending seq order (the stragglers first), as the claims protocol needs (see
 * protocol/claims.ts); entries may be deleted while iterating.
 */
/** What may read a SeqTable (as a ReadonlyMap would). */
export interface ReadonlySeqTable<T> {
  readonly size: number;
  get(seq: number): T | undefined;
  has(seq: number): boolean;
  /** The lowest seq held, if any. */
  first(): number | undefined;
  /** How many seqs held are at most `last`. */
  countThrough(last: number): number;
  entries(): IterableIterator<[number, T]>;
  keys(): IterableIterator<number>;
  values(): IterableIterator<T>;
  [Symbol.iterator](): IterableIterator<[number, T]>;
}

export class SeqTable<T> implements ReadonlySeqTable<T> {
  #slots: (T | undefined)[] = new Array<T | undefined>(16);
  #mask = 15;
  /** Index in #slots of the seq `#base`. */
  #head = 0;
  #base = 0;
  /** How many seqs, from #base, the ring covers (its last is #base + #span - 1). */
  #span = 0;
  /** Entries in the ring. */
  #inRing = 0;
  /** Entries older than #base. */
  #stragglers: Map<number, T> | undefined;
  /** The highest seq added to #stragglers (they are in ascending order unless the flag below). */
  #lastStraggler = Number.NEGATIVE_INFINITY;
  /** False once a seq below the stragglers' last was added (never, as the pool uses it). */
  #stragglersSorted = true;

  get size(): number {
    return this.#inRing + (this.#stragglers?.size ?? 0);
  }

  /** How many slots the ring has: what it holds in memory, whatever it holds (for tests). */
  get capacity(): number {
    return this.#slots.length;
  }

  get(seq: number): T | undefined {
    const offset = seq - this.#base;
    if (offset >= 0 && offset < this.#span) return this.#slots[(this.#head + offset) & this.#mask];
    return this.#stragglers?.get(seq);
  }

  has(seq: number): boolean {
    return this.get(seq) !== undefined;
  }

  set(seq: number, value: T): this {
    if (this.#inRing > 0 && seq - this.#base >= this.#slots.length) this.#makeRoom(seq);
    if (this.#inRing === 0) {
      if (seq <= this.#lastStraggler) {
        this.#addStraggler(seq, value);
        return this;
      }
      this.#base = seq;
      this.#span = 1;
      this.#head = 0;
      this.#slots[0] = value;
      this.#inRing = 1;
      return this;
    }
    const offset = seq - this.#base;
    if (offset < 0) {
      this.#addStraggler(seq, value);
      return this;
    }
    if (offset >= this.#span) this.#span = offset + 1;
    const index = (this.#head + offset) & this.#mask;
    if (this.#slots[index] === undefined) this.#inRing++;
    this.#slots[index] = value;
    return this;
  }

  delete(seq: number): boolean {
    const offset = seq - this.#base;
    if (offset < 0 || offset >= this.#span) return this.#deleteStraggler(seq);
    const slots = this.#slots;
    const index = (this.#head + offset) & this.#mask;
    if (slots[index] === undefined) return false;
    slots[index] = undefined;
    this.#inRing--;
    if (this.#inRing === 0) {
      this.#span = 0;
      this.#head = 0;
    } else if (offset === 0) {
      // The front left: move up to the next seq still here.
      let head = this.#head;
      let span = this.#span;
      do {
        head = (head + 1) & this.#mask;
        span--;
      } while (slots[head] === undefined);
      this.#base += this.#span - span;
      this.#head = head;
      this.#span = span;
    } else if (offset === this.#span - 1) {
      // The back left: the ring ends at the last seq still here.
      let span = this.#span - 1;
      while (slots[(this.#head + span - 1) & this.#mask] === undefined) span--;
      this.#span = span;
    }
    return true;
  }

  clear(): void {
    this.#slots.fill(undefined);
    this.#span = 0;
    this.#head = 0;
    this.#inRing = 0;
    this.#stragglers = undefined;
    this.#lastStraggler = Number.NEGATIVE_INFINITY;
    this.#stragglersSorted = true;
  }

  /** The lowest seq held, if any. */
  first(): number | undefined {
    if (this.#stragglers !== undefined && this.#stragglers.size > 0) {
      if (this.#stragglersSorted) return this.#stragglers.keys().next().value as number;
      let lowest = Number.POSITIVE_INFINITY;
      for (const seq of this.#stragglers.keys()) if (seq < lowest) lowest = seq;
      return lowest;
    }
    return this.#inRing > 0 ? this.#base : undefined;
  }

  countThrough(last: number): number {
    let count = 0;
    if (this.#stragglers !== undefined) {
      for (const seq of this.#stragglers.keys()) if (seq <= last) count++;
    }
    const slots = this.#slots;
    const through = Math.min(last - this.#base + 1, this.#span);
    for (let offset = 0; offset < through; offset++) {
      if (slots[(this.#head + offset) & this.#mask] !== undefined) count++;
    }
    return count;
  }

  *entries(): IterableIterator<[number, T]> {
    const stragglers = this.#stragglers;
    if (stragglers !== undefined && stragglers.size > 0) {
      const seqs = [...stragglers.keys()];
      if (!this.#stragglersSorted) seqs.sort((a, b) => a - b);
      for (const seq of seqs) {
        const value = stragglers.get(seq);
        if (value !== undefined) yield [seq, value];
      }
    }
    // By seq, not by index: the front may move (entries deleted) between two steps.
    for (let seq = this.#base; seq - this.#base < this.#span; seq++) {
      const value = this.get(seq);
      if (value !== undefined) yield [seq, value];
    }
  }

  *keys(): IterableIterator<number> {
    for (const [seq] of this.entries()) yield seq;
  }

  *values(): IterableIterator<T> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[number, T]> {
    return this.entries();
  }

  #deleteStraggler(seq: number): boolean {
    const stragglers = this.#stragglers;
    if (stragglers === undefined || !stragglers.delete(seq)) return false;
    if (stragglers.size === 0) {
      this.#lastStraggler = Number.NEGATIVE_INFINITY;
      this.#stragglersSorted = true;
    }
    return true;
  }

  #addStraggler(seq: number, value: T): void {
    this.#stragglers ??= new Map();
    if (seq < this.#lastStraggler) this.#stragglersSorted = false;
    else this.#lastStraggler = seq;
    this.#stragglers.set(seq, value);
  }

  /** Room in the ring for `seq`, beyond its capacity. */
  #makeRoom(seq: number): void {
    // Half the span would be holes: the entries at the front move aside, in seq order, until
    // the ring is dense again (or empty).
    while (this.#inRing > 0 && this.#inRing * 2 < seq - this.#base + 1) {
      const front = this.#base;
      const value = this.#slots[this.#head] as T;
      this.delete(front);
      this.#addStraggler(front, value);
    }
    const needed = seq - this.#base + 1;
    if (this.#inRing === 0 || needed <= this.#slots.length) return;
    const slots = this.#slots;
    let capacity = slots.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.#span; i++) grown[i] = slots[(this.#head + i) & this.#mask];
    this.#slots = grown;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}
