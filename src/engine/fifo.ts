/**
 * A first-in, first-out queue on a growable ring buffer: `shift()` is constant time, where
 * `Array.prototype.shift` is linear in the length of a large array. A slot is cleared as its item
 * leaves, so the queue keeps no reference to what it handed out, and the ring goes back to its
 * first size once empty, so a burst does not hold its memory for good.
 */

const INITIAL_CAPACITY = 8;

export class Fifo<T> {
  #items: (T | undefined)[] = new Array(INITIAL_CAPACITY);
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item;
    this.#length++;
  }

  /** Puts an item back at the front. */
  unshift(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = item;
    this.#length++;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    if (--this.#length === 0) this.#reset();
    return item;
  }

  /** The oldest item, left in the queue. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** The item `index` places from the front (0: the oldest), left in the queue. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.#length) return undefined;
    return this.#items[(this.#head + index) & (this.#items.length - 1)];
  }

  /**
   * Takes `item` out wherever it is (linear: for the rare leaver, such as a wait that timed out).
   * Returns whether it was there.
   */
  remove(item: T): boolean {
    const mask = this.#items.length - 1;
    for (let i = 0; i < this.#length; i++) {
      if (this.#items[(this.#head + i) & mask] !== item) continue;
      this.removeAt(i);
      return true;
    }
    return false;
  }

  /** Takes out the item `index` places from the front (linear), closing the gap. */
  removeAt(index: number): void {
    if (index < 0 || index >= this.#length) return;
    const mask = this.#items.length - 1;
    for (let j = index; j < this.#length - 1; j++) {
      this.#items[(this.#head + j) & mask] = this.#items[(this.#head + j + 1) & mask];
    }
    this.#items[(this.#head + this.#length - 1) & mask] = undefined;
    if (--this.#length === 0) this.#reset();
  }

  /** Empties the queue, returning its items in order. */
  drain(): T[] {
    const items = new Array<T>(this.#length);
    const mask = this.#items.length - 1;
    for (let i = 0; i < this.#length; i++) items[i] = this.#items[(this.#head + i) & mask] as T;
    this.#length = 0;
    this.#reset();
    return items;
  }

  #reset(): void {
    if (this.#items.length > INITIAL_CAPACITY) this.#items = new Array(INITIAL_CAPACITY);
    else this.#items.fill(undefined);
    this.#head = 0;
  }

  #grow(): void {
    const old = this.#items;
    const items = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#length; i++) items[i] = old[(this.#head + i) & (old.length - 1)];
    this.#items = items;
    this.#head = 0;
  }
}
