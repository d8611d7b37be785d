/**
 * When a thread started its running tasks that have a time limit, in memory it shares with the
 * main thread. The main thread needs a task's start only when its timer fires (see
 * control/controls.ts): a thread that posted a message at every such start paid a message per
 * timed task (a timeout per call then cost 4× a plain call), and almost every task ends well
 * within its limit, its start never asked for.
 *
 * Layout: ENTRIES of four Int32 words: the task's seq (0: free), the high and low words of its
 * start (`Date.now()`, a clock both threads share), and a spare word. The thread writes an entry
 * before it claims the task (see claims.ts), so a task the main thread sees claimed has its entry,
 * until it ends and the thread frees it. An entry is looked for from `seq % entries` on, and is
 * usually found there.
 *
 * Only the thread writes; the main thread reads the seq, the start, and the seq again: unchanged,
 * the start is that task's (a seq is never reused, so a freed and rewritten entry shows another).
 */

/** Entries beyond this many tasks at once: their start is posted, as a process's is. */
const MAX_ENTRIES = 1024;
const WORDS = 4;
const HIGH = 2 ** 32;

// Captured once: in a thread, task code may replace globals (Atomics included).
const { load, store } = Atomics;

/** Memory for the start of up to `quota` tasks running at once (the thread's task slots). */
export function createStartTimes(quota: number): SharedArrayBuffer {
  const entries = Math.max(1, Math.min(quota, MAX_ENTRIES));
  return new SharedArrayBuffer(entries * WORDS * Int32Array.BYTES_PER_ELEMENT);
}

/** The thread's side: an entry per running timed task, from before its claim to its end. */
export class StartTimesWriter {
  readonly #words: Int32Array;
  readonly #entries: number;
  /** Entries in use. */
  #used = 0;
  /**
   * The entry of each task written away from its own (`seq % entries` was taken), so that ending
   * a task, timed or not, costs one look at its own entry in the common case.
   */
  readonly #displaced = new Map<number, number>();

  constructor(buffer: SharedArrayBuffer) {
    this.#words = new Int32Array(buffer);
    this.#entries = this.#words.length / WORDS;
  }

  /** Writes that task `seq` starts at `at`. False when every entry is taken: tell it otherwise. */
  record(seq: number, at: number): boolean {
    const entries = this.#entries;
    if (this.#used === entries) return false;
    const words = this.#words;
    const own = seq % entries;
    let entry = own;
    // Only this thread writes the entries: it reads its own writes without Atomics.
    while (words[entry * WORDS] !== 0) entry = (entry + 1) % entries;
    const at0 = entry * WORDS;
    store(words, at0 + 1, Math.floor(at / HIGH));
    store(words, at0 + 2, (at % HIGH) | 0);
    // Last: the seq publishes the entry.
    store(words, at0, seq);
    this.#used++;
    if (entry !== own) this.#displaced.set(seq, entry);
    return true;
  }

  /** Task `seq` ended (or was never started): its entry, if it has one, is free. */
  forget(seq: number): void {
    if (this.#used === 0) return;
    const words = this.#words;
    let entry: number | undefined = seq % this.#entries;
    if (words[entry * WORDS] !== seq) {
      if (this.#displaced.size === 0) return;
      entry = this.#displaced.get(seq);
      if (entry === undefined) return;
      this.#displaced.delete(seq);
    }
    store(words, entry * WORDS, 0);
    this.#used--;
  }
}

/**
 * The main thread's side: when task `seq` started (`Date.now()`), or 0 when it has no entry (not
 * started, ended already, or started with every entry taken).
 */
export function readStartTime(buffer: SharedArrayBuffer, seq: number): number {
  const words = new Int32Array(buffer);
  const entries = words.length / WORDS;
  let entry = seq % entries;
  for (let probes = 0; probes < entries; probes++) {
    const at0 = entry * WORDS;
    if (load(words, at0) === seq) {
      const start = load(words, at0 + 1) * HIGH + (load(words, at0 + 2) >>> 0);
      // Still this task's entry: the start read is its own.
      return load(words, at0) === seq ? start : 0;
    }
    entry = (entry + 1) % entries;
  }
  return 0;
}
