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

export class Deliveries {
  /** Settled during the current step, as (job, task, outcome, value). */
  readonly #settled: unknown[] = [];
  #head = 0;
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
    this.#depth++;
    try {
      return body();
    } finally {
      if (--this.#depth === 0) {
        this.#endOfStep();
        if (this.#settled.length > 0) this.#deliver();
      }
    }
  }

  /** The task is settled (its state already says so): its job hears of it after the step. */
  add(job: Job, task: Task, outcome: Outcome, value: unknown): void {
    this.#settled.push(job, task, outcome, value);
    if (this.#depth === 0) this.#deliver();
  }

  /** Runs `notice` (which calls user code: a pool event's listeners) after the step. */
  announce(notice: () => void): void {
    this.#settled.push(notice, undefined, 0, undefined);
    if (this.#depth === 0) this.#deliver();
  }

  /**
   * Tells the jobs, in order. Their user code may start a step of its own, which delivers its own
   * settlements from this same list: so the position is a field, not a local.
   */
  #deliver(): void {
    const settled = this.#settled;
    while (this.#head < settled.length) {
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
    settled.length = 0;
    this.#head = 0;
  }
}
