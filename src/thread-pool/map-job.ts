/**
 * The job behind a map's AsyncResult, turning its chunks' outcomes into one result. (A single
 * task's AsyncResult is its own job.) Like CPython's ApplyResult/MapResult, each job has one hook,
 * `[SETTLE](task, outcome, value)`.
 */

import { ChunkResult } from '../engine/chunk-result.js';
import { type Job, SETTLE, type Task } from '../engine/task.js';
import { Outcome } from '../protocol/messages.js';
import { type AsyncResult, settleResult } from './async-result.js';

/** A whole map: resolves with every result in input order, or rejects with the first error. */
export class MapJob<R> implements Job {
  readonly #result: AsyncResult<R[]>;
  /** Each chunk's results, joined once all are in (one bulk copy, not one write per item). */
  readonly #parts: R[][];
  #remaining: number;
  #done = false;

  /**
   * `divisible`: the chunks are of the default chunksize, so that their items may run side by
   * side in free slots (see run/chunk-run.ts); a chunksize the caller chose is kept.
   */
  constructor(
    result: AsyncResult<R[]>,
    chunks: number,
    readonly divisible = false,
  ) {
    this.#result = result;
    this.#parts = new Array<R[]>(chunks);
    this.#remaining = chunks;
    // An empty map still resolves (with []) on a later turn, as every result does.
    if (chunks === 0) queueMicrotask(() => this.#finish(true, []));
  }

  [SETTLE](task: Task, outcome: Outcome, value: unknown): void {
    if (this.#done) return;
    const failed = outcome === Outcome.Ok ? null : ChunkResult.decode(outcome, value).firstError();
    if (failed) {
      this.#finish(false, failed.error);
      return;
    }
    this.#parts[task.index] = value as R[];
    if (--this.#remaining === 0) this.#finish(true, join(this.#parts));
  }

  #finish(ok: boolean, value: unknown): void {
    this.#done = true;
    this.#parts.length = 0;
    settleResult(this.#result, ok, value);
  }
}

/** Concatenates the parts in order, a bounded number at a time (concat takes them as arguments). */
function join<R>(parts: R[][]): R[] {
  if (parts.length === 1) return parts[0] as R[];
  let joined: R[] = [];
  for (let i = 0; i < parts.length; i += 4096) {
    joined = joined.concat(...parts.slice(i, i + 4096));
  }
  return joined;
}
