/**
 * What the engine learns of a thread by watching it from the main thread: its pace (tasks
 * finished per millisecond, for the read-ahead window) and whether it is stuck in one long
 * synchronous task (so that the tasks it holds and has not started can move to another thread).
 */
import { performance } from 'node:perf_hooks';
import { readAheadFor } from './dispatch-policy.js';

/** A thread seen inside the same task's synchronous code for this long is stuck in it. */
export const STUCK_AFTER_MS = 2;
/** Weight of the newest pace sample. */
const PACE_WEIGHT = 0.3;
/**
 * The shortest time a pace sample may span: results that come sooner are counted into the next
 * sample. Results of tasks that ran side by side (async ones) can arrive in two messages a few
 * microseconds apart: counted over that gap, two 40 ms tasks would look like thousands a second
 * and open a read-ahead window that holds later tasks back while another thread runs ahead.
 */
const MIN_SAMPLE_MS = 0.5;

export class ThreadWatch {
  /** Tasks per millisecond (0: not known yet). */
  #pace = 0;
  /** When the thread last had nothing outstanding and was given work (or last reported). */
  #since = -1;
  /** Results counted since #since that did not yet make a sample (see MIN_SAMPLE_MS). */
  #counted = 0;
  /** When the thread's current busy spell began (it was given work with nothing outstanding). */
  #busySince = -1;
  /** Results counted since #busySince. */
  #busyCounted = 0;
  /** The task last seen in the thread's synchronous code, and since when. */
  #syncSeq = 0;
  #syncSeenAt = 0;
  /**
   * How many tasks it may hold beyond its slots. One at least when its tasks are long and
   * synchronous: the next one is then at hand when the current one ends, and should another
   * thread free up first, the engine sees this one stuck and takes it back (so it costs no
   * order), while for async tasks it would (so they get none).
   */
  readAhead(lastTaskLong: boolean): number {
    const window = readAheadFor(this.#pace);
    return lastTaskLong && window === 0 ? 1 : window;
  }

  /** Work was sent; `wasIdle`: it had nothing outstanding before. */
  sent(wasIdle: boolean): void {
    if (wasIdle || this.#since < 0) {
      this.#since = performance.now();
      this.#counted = 0;
      this.#busySince = this.#since;
      this.#busyCounted = 0;
    }
  }

  /** The thread finished starting while holding tasks: its pace counts from now. */
  restart(): void {
    if (this.#since < 0) return;
    this.#since = performance.now();
    this.#busySince = this.#since;
  }

  /** `count` results arrived; `idleNow`: nothing is outstanding after them. */
  finished(count: number, idleNow: boolean): void {
    const now = performance.now();
    if (this.#since >= 0 && count > 0) {
      const elapsed = now - this.#since;
      this.#counted += count;
      this.#busyCounted += count;
      if (elapsed < MIN_SAMPLE_MS && !idleNow) return;
      // The last results of a busy spell, a moment after a sample was taken: counted over that
      // moment, two 50 ms tasks that ran side by side would look like thousands a second (and
      // open a read-ahead window for the next map's slow chunks). They are counted over the
      // whole spell instead. A spell that began within the moment (a batch sent and all done)
      // is counted over itself, as any other sample.
      const tail = elapsed < MIN_SAMPLE_MS && this.#since !== this.#busySince;
      const sample = tail
        ? this.#busyCounted / Math.max(now - this.#busySince, 0.001)
        : this.#counted / Math.max(elapsed, 0.001);
      this.#pace = this.#pace === 0 ? sample : this.#pace + PACE_WEIGHT * (sample - this.#pace);
    }
    this.#counted = 0;
    this.#since = idleNow ? -1 : now;
  }

  /**
   * Whether the thread is stuck in one task's synchronous code: `syncSeq` (the task it is running
   * synchronously now, 0 if none) has been the same since a sample at least STUCK_AFTER_MS ago,
   * or the task before it was long too (`lastTaskLong`).
   */
  stuck(syncSeq: number, lastTaskLong: boolean, now = performance.now()): boolean {
    if (syncSeq === 0) {
      this.#syncSeq = 0;
      return false;
    }
    if (syncSeq !== this.#syncSeq) {
      this.#syncSeq = syncSeq;
      this.#syncSeenAt = now;
      return lastTaskLong;
    }
    return lastTaskLong || now - this.#syncSeenAt >= STUCK_AFTER_MS;
  }
}
