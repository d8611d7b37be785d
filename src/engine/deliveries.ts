/**
 * Re-entrancy (SPEC §4a): settling a task runs user code (result callbacks, done-callbacks,
 * `'error'` listeners), and that code may call anything: terminate, cancel, issue more. So the
 * engine never runs it in the middle of a step. Every entry point of the engine is a step;
 * tasks settled during a step are queued here, and their jobs hear of it once the outermost step
 * is done and the engine's state is whole again. The pool's events (pool-events.ts) are announced
 * through the same list, in order with the settlements.
 */
import type { Outcome } from '../protocol/messages.js';
import { type Job, SETTLE, type Task } from './task.js';

/** The most entries the list keeps between steps (256 settlements). */
const KEEP_ENTRIES = 1024;

export class Deliveries {
  /** Settled during the current step, as (job, task, outcome, value). */
  readonly #settled: unknown[] = [];
  #head = 0;
  /** Where the next entry goes: the list is reused, not emptied (see #deliver). */
  #tail = 0;
  /** How deep in steps the call stack is; user code runs only at depth 0. */
  #depth = 0;
  readonly #reportError: (error: unknown) => void;
  /** Runs when the outermost step ends, before its settlements are delivered (no user code). */
  readonly #endOfStep: () => void;

  constructor(reportError: (error: unknown) => void, endOfStep: () => void = () => {}) {
    this.#reportError = reportError;
    this.#endOfStep = endOfStep;
  }

  /** Runs `body` as a step: what it settles is delivered when the outermost step returns. */
  step<T>(body: () => T): T {
    this.enter();
    try {
      return body();
    } finally {
      this.leave();
    }
  }

  /**
   * `step` in two halves, for a caller on the hot path that would otherwise make a closure per
   * call (each batch of results): `enter()`, then the body, then `leave()` in a `finally`.
   */
  enter(): void {
    this.#depth++;
  }

  leave(): void {
    if (--this.#depth === 0) {
      this.#endOfStep();
      if (this.#tail > 0) this.#deliver();
    }
  }

  /** The task is settled (its state already says so): its job hears of it after the step. */
  add(job: Job, task: Task, outcome: Outcome, value: unknown): void {
    this.#push(job, task, outcome, value);
    if (this.#depth === 0) this.#deliver();
  }

  /** Runs `notice` (which calls user code: a pool event's listeners) after the step. */
  announce(notice: () => void): void {
    this.#push(notice, undefined, 0, undefined);
    if (this.#depth === 0) this.#deliver();
  }

  #push(job: unknown, task: unknown, outcome: number, value: unknown): void {
    const settled = this.#settled;
    const at = this.#tail;
    settled[at] = job;
    settled[at + 1] = task;
    settled[at + 2] = outcome;
    settled[at + 3] = value;
    this.#tail = at + 4;
  }

  /**
   * Tells the jobs, in order. Their user code may start a step of its own, which delivers its own
   * settlements from this same list: so the position is a field, not a local.
   */
  #deliver(): void {
    const settled = this.#settled;
    while (this.#head < this.#tail) {
      const i = this.#head;
      this.#head = i + 4;
      const job = settled[i] as Job | (() => void);
      const task = settled[i + 1] as Task;
      const outcome = settled[i + 2] as Outcome;
      const value = settled[i + 3];
      settled[i] = settled[i + 1] = settled[i + 3] = undefined;
      try {
        if (typeof job === 'function') job();
        else job[SETTLE](task, outcome, value);
      } catch (error) {
        this.#reportError(error);
      }
    }
    // Kept for the next step (a list cut to length 0 drops its store, and one task at a time
    // would allocate another each time), unless a burst made it large.
    if (settled.length > KEEP_ENTRIES) settled.length = 0;
    this.#head = 0;
    this.#tail = 0;
  }
}
