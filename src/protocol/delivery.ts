/**
 * Which messages the other side has taken, so that a message it could not deserialize (arguments
 * or a result too deep for its stack) is settled rather than lost. The same on both sides of the
 * channel: the receiver counts what it takes in a shared word (TAKEN for the thread, DELIVERED
 * for the main thread, see control-words.ts); the sender keeps what it may have to answer for
 * until that count passes it. A message the receiver cannot read is reported (LostMessage, by its
 * number) and does not count as taken until the sender has answered (ResentMessage), so the
 * sender still has it when the report arrives.
 */

import { Fifo } from '../engine/fifo.js';

// Captured once: in a thread, task code may replace globals (Atomics included).
const { load, store } = Atomics;

/** The receiving half: counts the messages taken and publishes the count. */
export class Inbox {
  readonly #words: Int32Array;
  readonly #word: number;
  #count = 0;
  /** Messages that could not be read and that the sender has not answered for, ascending. */
  readonly #unanswered: number[] = [];

  constructor(words: Int32Array, word: number) {
    this.#words = words;
    this.#word = word;
  }

  /** Messages taken from the port, read or not. */
  get count(): number {
    return this.#count;
  }

  /** One more message taken and read. */
  took(): void {
    this.#count = (this.#count + 1) | 0;
    this.#publish();
  }

  /** One more message taken that could not be read: returns its number, for the LostMessage. */
  lost(): number {
    this.#count = (this.#count + 1) | 0;
    this.#unanswered.push(this.#count);
    this.#publish();
    return this.#count;
  }

  /** The sender has answered for lost message `n` (a ResentMessage). */
  answered(n: number): void {
    const index = this.#unanswered.indexOf(n);
    if (index >= 0) this.#unanswered.splice(index, 1);
    this.#publish();
  }

  /** The count as the sender may see it: never past a lost message not answered for yet. */
  #publish(): void {
    const unanswered = this.#unanswered;
    store(
      this.#words,
      this.#word,
      unanswered.length === 0 ? this.#count : ((unanswered[0] as number) - 1) | 0,
    );
  }
}

/** The sending half: what was posted, kept until the receiver has taken it. */
export class Outbox<M> {
  readonly #words: Int32Array;
  readonly #word: number;
  // What was posted and not yet taken, oldest first: message numbers and what each carried, side
  // by side. Rings rather than pairs in an array: a message is kept for every task batch, and
  // a pool answering one task at a time would make (and splice away) a pair per task.
  readonly #numbers = new Fifo<number>();
  readonly #messages = new Fifo<M>();

  /** `word`: where the receiver publishes its count. */
  constructor(words: Int32Array, word: number) {
    this.#words = words;
    this.#word = word;
  }

  /** Message `n` was posted: keep `message` until it is taken. */
  keep(n: number, message: M): void {
    this.prune();
    this.#numbers.push(n);
    this.#messages.push(message);
  }

  /** Forgets what the receiver has taken. */
  prune(): void {
    const numbers = this.#numbers;
    if (numbers.length === 0) return;
    const taken = load(this.#words, this.#word);
    // Counts wrap at 32 bits: compare by difference.
    while (numbers.length > 0 && (((numbers.peek() as number) - taken) | 0) <= 0) {
      numbers.shift();
      this.#messages.shift();
    }
  }

  /** What message `n` carried, forgotten here (the receiver reported it lost), if it was kept. */
  take(n: number): M | undefined {
    const numbers = this.#numbers;
    for (let i = 0; i < numbers.length; i++) {
      if (numbers.at(i) !== n) continue;
      const message = this.#messages.at(i);
      numbers.removeAt(i);
      this.#messages.removeAt(i);
      return message;
    }
    return undefined;
  }
}
