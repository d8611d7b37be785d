/**
 * The job behind a map's AsyncResult, turning its chunks' outcomes into one result. (A single
 * task's AsyncResult is its own job.) Like CPython's ApplyResult/MapResult, each job has one hook,
 * `[SETTLE](task, outcome, value)`.
 */
import { type ChunkFailure, Outcome } from '../protocol/messages.js';
import { type AsyncResult, settleResult } from './async-result.js';
import { type Job, SETTLE, type Task } from './task.js';

/** The first error of a chunk's outcome, or undefined if the chunk succeeded. */
export function chunkError(outcome: Outcome, value: unknown): { error: unknown } | undefined {
  if (outcome === Outcome.Ok) return undefined;
  if (outcome === Outcome.PartialChunk) {
    const [, error] = (value as ChunkFailure<unknown>).failures[0] as [number, unknown];
    return { error };
  }
  return { error: value };
}

/** A whole map: resolves with every result in input order, or rejects with the first error. */
export class MapJob<R> implements Job {
  readonly #result: AsyncResult<R[]>;
  readonly #values: R[];
  readonly #chunksize: number;
  #remaining: number;
  #done = false;

  constructor(result: AsyncResult<R[]>, length: number, chunksize: number, chunks: number) {
    this.#result = result;
    this.#values = new Array<R>(length);
    this.#chunksize = chunksize;
    this.#remaining = chunks;
    // An empty map still resolves (with []) on a later turn, as every result does.
    if (chunks === 0) queueMicrotask(() => this.#finish(true, this.#values));
  }

  [SETTLE](task: Task, outcome: Outcome, value: unknown): void {
    if (this.#done) return;
    const failed = chunkError(outcome, value);
    if (failed) {
      this.#finish(false, failed.error);
      return;
    }
    const values = value as R[];
    const offset = task.index * this.#chunksize;
    for (let i = 0; i < values.length; i++) this.#values[offset + i] = values[i] as R;
    if (--this.#remaining === 0) this.#finish(true, this.#values);
  }

  #finish(ok: boolean, value: unknown): void {
    this.#done = true;
    settleResult(this.#result, ok, value);
  }
}
