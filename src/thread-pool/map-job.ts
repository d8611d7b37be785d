/**
 * The job behind a map's AsyncResult, turning its chunks' outcomes into one result. (A single
 * task's AsyncResult is its own job.) Like CPython's ApplyResult/MapResult, each job has one hook,
 * `[SETTLE](task, outcome, value)`.
 */

import { ChunkResult } from '../engine/chunk-result.js';
import { type Job, SETTLE, Task, TaskState } from '../engine/task.js';
import { Outcome } from '../protocol/messages.js';
import { SerializedPayload } from '../protocol/serialized.js';
import { type AsyncResult, settleResult } from './async-result.js';

/** A whole map: resolves with every result in input order, or rejects with the first error. */
export class MapJob<R> implements Job {
  readonly #result: AsyncResult<R[]>;
  /** Each chunk's results, joined once all are in (one bulk copy, not one write per item). */
  readonly #parts: R[][];
  #remaining: number;
  #done = false;
  /**
   * Chunks cut into pieces near the map's end (see `split`): each piece's first item's place in
   * its chunk, and how many pieces of each cut chunk have not settled.
   */
  #pieces: Map<Task, number> | undefined;
  #piecesLeft: Map<number, number> | undefined;
  /** The chunks (by index) cut so far: their pieces share the index, and are not cut again. */
  #cut: Set<number> | undefined;

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
      this.#settlePiece(task, offset, value as R[]);
      return;
    }
    this.#parts[task.index] = value as R[];
    if (--this.#remaining === 0) this.#finish(true, join(this.#parts));
  }

  /**
   * A chunk of the default chunksize may be cut, once: its pieces are not cut again. (Cutting
   * them finer as the queue shrinks would end a map of tiny items in a string of round trips:
   * 10% off a 200,000-item map's rate.)
   */
  splittable(task: Task): boolean {
    return this.divisible && this.#cut?.has(task.index) !== true;
  }

  /**
   * Replaces a queued chunk by tasks of at most `size` items each, about equal, in order (or
   * gives it back whole when its items cannot be read back). The chunk's part is filled piece by
   * piece, and counts as one part done once all of its pieces are in.
   */
  split(chunk: Task, size: number): Task[] {
    // Serialized when the map was called (engine/capture.ts): read back, the pieces hold copies
    // that nothing else refers to, so they need no capture of their own.
    const payload = chunk.payload;
    let items: unknown[];
    try {
      items = payload instanceof SerializedPayload ? payload.values() : (payload as unknown[]);
    } catch {
      // Too deep to read back on this thread's stack (objects nested ~3,000 deep serialize here
      // but do not deserialize): the chunk goes whole, and its thread, with a stack of its own,
      // reads it or fails it. It is not tried again.
      this.#cut ??= new Set();
      this.#cut.add(chunk.index);
      return [chunk];
    }
    const count = Math.ceil(items.length / Math.max(1, size));
    const each = Math.ceil(items.length / count);
    const pieces: Task[] = [];
    for (let start = 0; start < items.length; start += each) {
      const piece = new Task(
        chunk.fn,
        chunk.record,
        chunk.mode,
        items.slice(start, start + each),
        undefined,
        this,
        chunk.index,
      );
      piece.calls = Math.min(each, items.length - start);
      piece.queuedAt = chunk.queuedAt;
      pieces.push(piece);
    }
    this.#cut ??= new Set();
    this.#cut.add(chunk.index);
    // A map that has already failed still runs what it queued (as CPython does), for nothing.
    if (!this.#done) {
      this.#pieces ??= new Map();
      this.#piecesLeft ??= new Map();
      this.#parts[chunk.index] = new Array<R>(items.length);
      this.#piecesLeft.set(chunk.index, pieces.length);
      for (let i = 0; i < pieces.length; i++) this.#pieces.set(pieces[i] as Task, i * each);
    }
    // Replaced: it is never sent, and never settles (its pieces settle in its place).
    chunk.state = TaskState.Settled;
    chunk.job = null;
    chunk.payload = undefined;
    return pieces;
  }

  #settlePiece(piece: Task, offset: number, values: R[]): void {
    const pieces = this.#pieces as Map<Task, number>;
    const left = this.#piecesLeft as Map<number, number>;
    pieces.delete(piece);
    const part = this.#parts[piece.index] as R[];
    for (let i = 0; i < values.length; i++) part[offset + i] = values[i] as R;
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
