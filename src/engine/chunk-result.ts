/**
 * The one place a map chunk's outcome becomes results. A chunk settles its job once, as one of
 * Outcome.Ok (a value per item), Outcome.PartialChunk (values, and `[index, error]` for the items
 * that threw) or Outcome.Error (the whole chunk failed: its thread died, the pool stopped…).
 * MapJob wants the first error, imap hands the items out one by one, the executor's map one
 * per call: each reads the same ChunkResult.
 */
import { type ChunkFailure, Outcome } from '../protocol/messages.js';

export class ChunkResult {
  private constructor(
    /** One value per item (an item that failed has none). */
    readonly values: unknown[],
    /** Item index → error, for the items that threw; null when none did. */
    readonly failures: Map<number, unknown> | null,
    /** The whole chunk failed, with this one error. */
    readonly error: { error: unknown } | null,
  ) {}

  /** Decodes a chunk's outcome as its job receives it (see `Job` in task.ts). */
  static decode(outcome: Outcome, value: unknown): ChunkResult {
    if (outcome === Outcome.Ok) return new ChunkResult(value as unknown[], null, null);
    if (outcome === Outcome.PartialChunk) {
      const partial = value as ChunkFailure<unknown>;
      return new ChunkResult(partial.values, new Map(partial.failures), null);
    }
    return ChunkResult.failed(value);
  }

  /** A chunk that failed as a whole: every item of it fails with `error`. */
  static failed(error: unknown): ChunkResult {
    return new ChunkResult([], null, { error });
  }

  /** The chunk's first error (the whole chunk's, or its first failed item's), or null. */
  firstError(): { error: unknown } | null {
    if (this.error || !this.failures) return this.error;
    for (const error of this.failures.values()) return { error };
    return null;
  }

  /** Whether item `index` failed (then `errorAt(index)` is its error). */
  failedAt(index: number): boolean {
    return this.error !== null || this.failures?.has(index) === true;
  }

  errorAt(index: number): unknown {
    return this.error ? this.error.error : this.failures?.get(index);
  }

  /** Item `index`'s value; the chunk keeps no reference to a value it handed out. */
  takeValue(index: number): unknown {
    const value = this.values[index];
    this.values[index] = undefined;
    return value;
  }
}
