/**
 * The job behind a map's AsyncResult, turning its chunks' outcomes into one result. (A single
 * task's AsyncResult is its own job.) Like CPython's ApplyResult/MapResult, each job has one hook,
 * `[SETTLE](task, outcome, value)`.
 */

import { ChunkResult } from '../engine/chunk-result.js';
import { type Job, SETTLE, Task, TaskState } from '../engine/task.js';
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
   * Chunks split into one task per item for the last wave (see `split`): each such task's place
   * in its chunk, and how many items of each split chunk have not settled.
   */
  #pieces: Map<Task, number> | undefined;
  #piecesLeft: Map<number, number> | undefined;

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
    const offset = this.#pieces?.get(task);
    if (offset !== undefined) {
      this.#settlePiece(task, offset, (value as R[])[0] as R);
      return;
    }
    this.#parts[task.index] = value as R[];
    if (--this.#remaining === 0) this.#finish(true, join(this.#parts));
  }

  /**
   * One task per item of a queued chunk, in its place: the chunk's part is filled item by item,
   * and counts as one part done once all of them are in.
   */
  split(chunk: Task): Task[] {
    const items = chunk.payload as unknown[];
    const pieces = new Array<Task>(items.length);
    for (let i = 0; i < items.length; i++) {
      const piece = new Task(
        chunk.fn,
        chunk.record,
        chunk.mode,
        [items[i]],
        undefined,
        this,
        chunk.index,
      );
      piece.queuedAt = chunk.queuedAt;
      pieces[i] = piece;
    }
    // A map that has already failed still runs what it queued (as CPython does), for nothing.
    if (!this.#done) {
      this.#parts[chunk.index] = new Array<R>(items.length);
      this.#pieces ??= new Map();
      this.#piecesLeft ??= new Map();
      this.#piecesLeft.set(chunk.index, items.length);
      for (let i = 0; i < items.length; i++) this.#pieces.set(pieces[i] as Task, i);
    }
    // Replaced: it is never sent, and never settles (its items settle in its place).
    chunk.state = TaskState.Settled;
    chunk.job = null;
    chunk.payload = undefined;
    return pieces;
  }

  #settlePiece(piece: Task, offset: number, value: R): void {
    const pieces = this.#pieces as Map<Task, number>;
    const left = this.#piecesLeft as Map<number, number>;
    pieces.delete(piece);
    (this.#parts[piece.index] as R[])[offset] = value;
    const remaining = (left.get(piece.index) as number) - 1;
    if (remaining > 0) {
      left.set(piece.index, remaining);
      return;
    }
    left.delete(piece.index);
    if (--this.#remaining === 0) this.#finish(true, join(this.#parts));
  }

  #finish(ok: boolean, value: unknown): void {
    this.#done = true;
    this.#parts.length = 0;
    this.#pieces = undefined;
    this.#piecesLeft = undefined;
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
