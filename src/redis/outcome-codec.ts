/**
 * A task's outcome as it crosses Redis: the worker encodes what its local pool settled the task
 * with, the client decodes it into what the engine expects (engine/task.ts Job): errors by the
 * same serializer as threads (class, code, cause, stack), values by V8 serialization.
 */
import { serialize } from 'node:v8';
import { serializeError } from '../protocol/errors.js';
import { type ChunkFailure, Outcome } from '../protocol/messages.js';
import { decodeFailure } from '../protocol/results.js';

/**
 * `[outcome, value]` ready for a results note. A value that V8 cannot serialize (a
 * SharedArrayBuffer a task returned, say) becomes that task's error.
 */
export function encodeOutcome(outcome: Outcome, value: unknown): [Outcome, unknown] {
  if (outcome === Outcome.Error) return [outcome, serializeError(value)];
  if (outcome === Outcome.PartialChunk) {
    const chunk = value as ChunkFailure<unknown>;
    return [
      outcome,
      {
        values: chunk.values,
        failures: chunk.failures.map(([index, error]) => [index, serializeError(error)]),
      },
    ];
  }
  try {
    serialize(value);
    return [outcome, value];
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return [
      Outcome.Error,
      serializeError(
        new TypeError(`The task's result cannot be sent back through Redis: ${why}`, {
          cause: error,
        }),
      ),
    ];
  }
}

/** The value the engine expects for this outcome (Errors rebuilt). */
export function decodeOutcome(outcome: Outcome, value: unknown): unknown {
  return outcome === Outcome.Ok ? value : decodeFailure(outcome, value);
}
