/**
 * The main side's record of the task functions one worker thread has been given. A function's
 * definition (its source, or its module and export) is sent once; later tasks name it by id.
 * A thread keeps at most THREAD_FUNCTIONS of them: beyond that, the least recently used that no
 * task of the thread still needs are forgotten on both sides (a program that issues a stream of
 * distinct inline functions must not fill the thread's heap), and one used again is sent again.
 */
import type { ReadonlySeqTable } from '../engine/seq-table.js';
import type { Task } from '../engine/task.js';
import type { FunctionDef } from '../protocol/functions.js';

const THREAD_FUNCTIONS = 1024;

export class ThreadFunctions {
  /** Function id → the last seq of a task of this thread that uses it, least recently used first. */
  readonly #known = new Map<number, number>();
  /** The id set last in #known (its newest entry), or -1. */
  #newest = -1;

  /** The thread has this function already (its initializer). */
  given(id: number): void {
    if (this.#known.has(id)) return;
    this.#known.set(id, 0);
    this.#newest = id;
  }

  /**
   * The definitions these tasks need that the thread lacks, and the ids to forget to make room
   * (none used by a task still `outstanding` on the thread, by seq, nor by these tasks). Null
   * when none is needed.
   */
  definitions(
    tasks: readonly Task[],
    outstanding: ReadonlySeqTable<unknown>,
  ): { defs: FunctionDef[]; forget: number[] | null } | null {
    let defs: FunctionDef[] | null = null;
    let previous = -1;
    // Indexed loops here: called for every batch sent, where an iterator is garbage per trip.
    for (let i = 0; i < tasks.length; i++) {
      const id = (tasks[i] as Task).record.id;
      if (id === previous) continue;
      previous = id;
      if (this.#known.has(id) || defs?.some((d) => d.id === id)) continue;
      defs ??= [];
      defs.push((tasks[i] as Task).record.def);
    }
    if (!defs) return null;
    const forget = this.#evict(defs.length, tasks, outstanding);
    for (const def of defs) {
      this.#known.set(def.id, 0);
      this.#newest = def.id;
    }
    return { defs, forget };
  }

  /** Marks the functions of these tasks, now sent to `thread`, as the most recently used. */
  used(tasks: readonly Task[], thread: object): void {
    let previous = -1;
    let last = 0;
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i] as Task;
      const id = task.record.id;
      if (id !== previous) {
        if (previous >= 0) this.#use(previous, last);
        previous = id;
        last = 0;
      }
      if (task.thread === thread && task.seq > last) last = task.seq;
    }
    if (previous >= 0) this.#use(previous, last);
  }

  #use(id: number, seq: number): void {
    const before = this.#known.get(id);
    if (before === undefined) return;
    // Already the newest (one function called over and over): updated in place. Deleting and
    // setting again would make the map rebuild its table each time.
    if (id !== this.#newest) {
      this.#known.delete(id);
      this.#newest = id;
    }
    this.#known.set(id, Math.max(before, seq));
  }

  /** Forgets the least recently used functions beyond the bound that no task still needs. */
  #evict(
    adding: number,
    sending: readonly Task[],
    outstanding: ReadonlySeqTable<unknown>,
  ): number[] | null {
    let excess = this.#known.size + adding - THREAD_FUNCTIONS;
    if (excess <= 0) return null;
    // Looked up only here, when room must be made: the oldest seq still outstanding.
    const inUseFrom = outstanding.first() ?? Number.POSITIVE_INFINITY;
    let forget: number[] | null = null;
    for (const [id, lastSeq] of this.#known) {
      if (excess <= 0) break;
      if (lastSeq >= inUseFrom || sending.some((t) => t.record.id === id)) continue;
      forget ??= [];
      forget.push(id);
      excess--;
    }
    if (forget) {
      for (const id of forget) {
        this.#known.delete(id);
        if (id === this.#newest) this.#newest = -1;
      }
    }
    return forget;
  }
}
