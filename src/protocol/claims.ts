/**
 * Who may start a task that was sent to a thread but has not started yet: the thread, or the
 * main thread taking it back to run elsewhere. Decided with compare-and-swaps on two shared words
 * (see control-words.ts), so a task is never run twice and never lost, even while the thread is
 * stuck in a long synchronous task and cannot read messages. Both halves are here: MainClaims is
 * the main thread's, ThreadClaims the worker thread's.
 *
 * CLAIMED holds the seq of the last task the thread started; the thread starts task `s` only by
 * CAS(CLAIMED, lastClaimed, s). REVOKED_UP_TO holds the highest seq taken back and not yet seen by
 * the thread (0 once seen).
 *
 * - Take back (no revocation pending): store REVOKED_UP_TO = highest seq sent, then
 *   CAS(CLAIMED, c, c | REVOKE_FLAG). Once that succeeds, every task with seq > c is the main
 *   thread's: the thread's next claim fails.
 * - Take back more while the flag is still set (the thread is busy and has not seen it):
 *   CAS(REVOKED_UP_TO, previous, newHighest). It fails once the thread has begun to handle the
 *   flag, and then nothing more is taken until it is done.
 * - The thread, when a claim fails: r = exchange(REVOKED_UP_TO, 0), drop every task with
 *   seq <= r, then store CLAIMED = lastClaimed (clearing the flag).
 *
 * Seqs start at 1 and increase in send order, so "started" is one number: every task up to the
 * last claimed has started (a thread starts its tasks in seq order).
 */
import type { Fifo } from '../engine/fifo.js';
import type { ReadonlySeqTable } from '../engine/seq-table.js';
import { CLAIMED, LAST_TASK_LONG, REVOKED_UP_TO, RUNNING } from './control-words.js';

export const REVOKE_FLAG = 1 << 30;
/** A thread is retired before its seqs reach the flag bit. */
export const MAX_SEQ = REVOKE_FLAG - 1024;

// Captured once: in a thread, task code may replace globals (Atomics included).
const { compareExchange, exchange, load, store } = Atomics;

/** The main thread's half, for one thread: what it has started, and taking back what it has not. */
export class MainClaims<T> {
  readonly #words: Int32Array;
  /** A task whose buffers were transferred with it: it can run nowhere else. */
  readonly #pinned: (task: T) => boolean;
  /** The highest seq this side has taken back. */
  #revokedUpTo = 0;

  constructor(words: Int32Array, pinned: (task: T) => boolean) {
    this.#words = words;
    this.#pinned = pinned;
  }

  /** The seq of the last task the thread started (every task up to it has started). */
  started(): number {
    return load(this.#words, CLAIMED) & ~REVOKE_FLAG;
  }

  hasStarted(seq: number): boolean {
    return seq <= this.started();
  }

  /** How many of the tasks sent up to `lastSent` have neither started nor been taken back. */
  unstarted(lastSent: number): number {
    return Math.max(0, lastSent - Math.max(this.started(), this.#revokedUpTo));
  }

  /** How many of `outstanding` (by seq, in seq order) have started: the started ones come first. */
  running(outstanding: ReadonlySeqTable<T>): number {
    return outstanding.countThrough(this.started());
  }

  /** The seq of the task whose synchronous code the thread runs at this moment (0: none). */
  syncRunning(): number {
    return load(this.#words, RUNNING);
  }

  /** Whether the last task the thread ran synchronously took a millisecond or more. */
  lastTaskLong(): boolean {
    return load(this.#words, LAST_TASK_LONG) !== 0;
  }

  /**
   * Takes back the tasks of `outstanding` (by seq, in seq order; seqs sent up to `lastSent`) that
   * have not started, and returns them in seq order; the caller removes them from `outstanding`.
   * Returns none when the thread is handling an earlier take-back at this very moment.
   */
  revoke(outstanding: ReadonlySeqTable<T>, lastSent: number): T[] {
    let claimed = load(this.#words, CLAIMED);
    const from = Math.max(claimed & ~REVOKE_FLAG, this.#revokedUpTo);
    // Transferred buffers now belong to the thread: such a task cannot be sent again elsewhere,
    // so only the unstarted tasks before the first of them are taken.
    let last = lastSent;
    for (const [seq, task] of outstanding) {
      if (seq > from && this.#pinned(task)) {
        last = seq - 1;
        break;
      }
    }
    if (last <= from) return [];
    if (claimed & REVOKE_FLAG) {
      // The thread has not yet seen the last revocation (it is busy): extend it, unless it has
      // just begun to handle it.
      const seen = compareExchange(this.#words, REVOKED_UP_TO, this.#revokedUpTo, last);
      if (seen !== this.#revokedUpTo) return [];
      claimed &= ~REVOKE_FLAG;
    } else {
      for (;;) {
        store(this.#words, REVOKED_UP_TO, last);
        const seen = compareExchange(this.#words, CLAIMED, claimed, claimed | REVOKE_FLAG);
        if (seen === claimed) break;
        claimed = seen; // The thread started another task meanwhile; try again.
        if (last <= claimed) return [];
      }
    }
    this.#revokedUpTo = last;
    const taken: T[] = [];
    for (const [seq, task] of outstanding) {
      if (seq > last) break;
      if (seq > claimed) taken.push(task);
    }
    return taken;
  }
}

/** The worker thread's half: claiming each task before it starts, and seeing take-backs. */
export class ThreadClaims {
  readonly #words: Int32Array;
  #lastClaimed = 0;
  /** Every task up to this seq was taken back: one that arrives later is dropped unread. */
  droppedUpTo = 0;

  constructor(words: Int32Array) {
    this.#words = words;
  }

  /**
   * Whether the thread may start task `seq` (the next after the last it started). When not, the
   * main thread has taken tasks back: call `acceptRevocation` before claiming again.
   */
  claim(seq: number): boolean {
    const seen = compareExchange(this.#words, CLAIMED, this.#lastClaimed, seq);
    if (seen !== this.#lastClaimed) return false;
    this.#lastClaimed = seq;
    return true;
  }

  /**
   * The main thread took back every task up to the returned seq that had not started: the caller
   * drops them (see `withoutRevoked`). Claims succeed again afterwards.
   */
  acceptRevocation(): number {
    // Taking the value (not just reading it) tells the main thread it can no longer extend it.
    const upTo = exchange(this.#words, REVOKED_UP_TO, 0);
    if (upTo > this.droppedUpTo) this.droppedUpTo = upTo;
    store(this.#words, CLAIMED, this.#lastClaimed);
    return upTo;
  }

  /** The task whose synchronous code runs now (0 when it returns): see RUNNING. */
  runningSync(seq: number): void {
    store(this.#words, RUNNING, seq);
  }

  setLastTaskLong(long: boolean): void {
    store(this.#words, LAST_TASK_LONG, long ? 1 : 0);
  }
}

/** Drops the queued tasks that were taken back (seq up to `upTo`), keeping the others in order. */
export function dropRevoked<T extends { seq: number }>(queue: Fifo<T>, upTo: number): void {
  for (const task of queue.drain()) if (task.seq > upTo) queue.push(task);
}
