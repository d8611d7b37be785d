/**
 * Worker → main: these tasks ended. A flat array of (seq, outcome, value) triples, for the same
 * reason as the run batches (see run-batch.ts). What the thread wrote to its stdout and stderr
 * travels in it too (Outcome.Stdout/Stderr, seq 0), in order, so that it is written before the
 * results that follow it are delivered. When the thread started its tasks travels at the end of
 * the batch (Outcome.Started entries), read by the main thread before the results.
 *
 * On the thread a value is as the task produced it (an error serialized, see errors.ts; a chunk's
 * numbers maybe packed, see packing.ts); `decodeResults` turns it into what a job is settled with.
 */
import { deserialize } from 'node:v8';
import {
  deserializeError,
  type SerializedError,
  serializeError,
  type WireError,
} from './errors.js';
import { type ChunkFailure, Outcome } from './outcomes.js';
import { packNumbers, unpackNumbers } from './packing.js';

export type ResultsMessage = unknown[];

/**
 * Adds a task's outcome to the batch being built; `chunk` when `value` is a chunk's array of
 * results, sent packed (its buffer added to `transfer`) when they are all numbers.
 */
export function appendResult(
  out: ResultsMessage,
  transfer: ArrayBuffer[],
  seq: number,
  outcome: Outcome,
  value: unknown,
  chunk?: boolean,
): void {
  if (chunk) {
    const packed = packNumbers(value as unknown[]);
    if (packed) {
      outcome = Outcome.OkPacked;
      value = packed;
      transfer.push(packed.buffer);
    }
  }
  out.push(seq, outcome, value);
}

/** Adds a value the task `seq` passed to `progress()`, already serialized. */
export function appendProgress(out: ResultsMessage, seq: number, bytes: Uint8Array): void {
  out.push(seq, Outcome.Progress, bytes);
}

/** Adds what the thread wrote (a string or bytes) to its stdout or stderr. */
export function appendOutput(
  out: ResultsMessage,
  kind: typeof Outcome.Stdout | typeof Outcome.Stderr,
  data: string | Uint8Array,
): void {
  out.push(0, kind, data);
}

/** Adds when the thread started its tasks, from (seq, time) pairs, at the end of the batch. */
export function appendStarts(out: ResultsMessage, starts: readonly number[]): void {
  for (let i = 0; i < starts.length; i += 2) out.push(starts[i], Outcome.Started, starts[i + 1]);
}

/**
 * Where a batch's results end and its start times begin (see appendStarts): calls `started` for
 * each start time, and returns how far the results go.
 */
export function readStarts(
  message: ResultsMessage,
  started: (seq: number, time: number) => void,
): number {
  let end = message.length;
  while (end >= 3 && message[end - 2] === Outcome.Started) {
    started(message[end - 3] as number, message[end - 1] as number);
    end -= 3;
  }
  return end;
}

function isOutput(outcome: Outcome): boolean {
  return outcome === Outcome.Stdout || outcome === Outcome.Stderr;
}

/** An entry that is not a task's result: output, progress values, or start times. */
function isNotResult(outcome: Outcome): boolean {
  return isOutput(outcome) || outcome === Outcome.Progress || outcome === Outcome.Started;
}

/** The batch's entries as batches of one each, in order. */
export function splitResults(message: ResultsMessage): ResultsMessage[] {
  const single: ResultsMessage[] = [];
  for (let i = 0; i < message.length; i += 3) {
    single.push([message[i], message[i + 1], message[i + 2]]);
  }
  return single;
}

/**
 * What to send, one entry at a time, in place of a batch the main thread could not deserialize
 * (`reason`). Several results go again as they were, so that only the one that cannot cross
 * fails; a lone result that cannot cross becomes an error that can. (Packed numbers cannot go
 * again: their buffer went with the lost message.)
 */
export function resultsAfterLoss(message: ResultsMessage, reason: string): ResultsMessage[] {
  let results = 0;
  for (let i = 1; i < message.length; i += 3) if (!isNotResult(message[i] as Outcome)) results++;
  const again: ResultsMessage[] = [];
  for (let i = 0; i < message.length; i += 3) {
    const seq = message[i] as number;
    const outcome = message[i + 1] as Outcome;
    const value = message[i + 2];
    if (isNotResult(outcome) || (results > 1 && outcome !== Outcome.OkPacked)) {
      again.push([seq, outcome, value]);
    } else if (outcome === Outcome.Error && (value as WireError).$error) {
      // The error itself can cross without what made it unreadable (its own properties).
      const error = value as SerializedError;
      again.push([
        seq,
        Outcome.Error,
        {
          ...error,
          props: {
            unreadable: `its properties could not be read by the main thread (${reason})`,
          },
          cause: undefined,
          errors: undefined,
        } satisfies SerializedError,
      ]);
    } else {
      const what =
        outcome === Outcome.Ok || outcome === Outcome.OkPacked
          ? "the task's result"
          : "the task's error";
      again.push([seq, Outcome.Error, unreadableByMain(what, reason)]);
    }
  }
  return again;
}

/** An error that always crosses: `what` could be sent but not read by the main thread. */
export function unreadableByMain(what: string, reason: string): WireError {
  return {
    $error: true,
    ctor: 'Error',
    name: 'DataCloneError',
    message:
      `${what[0]?.toUpperCase()}${what.slice(1)} could be sent but not read by the main thread (${reason}): ` +
      'it is too deep or too large for the main thread to deserialize. Return flatter data.',
    stack: undefined,
    props: null,
  };
}

/** The error a task's result becomes when it cannot be cloned at all. */
export function uncloneableResult(cloneError: unknown): WireError {
  return serializeError(
    new DOMException(
      `The task's result could not be cloned to the main thread: ${(cloneError as Error).message} ` +
        'Return structured-cloneable data (no functions, symbols or class instances with private state).',
      'DataCloneError',
    ),
  );
}

/**
 * Decodes a batch in place, on the main thread: packed numbers back to an array (as Outcome.Ok),
 * errors rebuilt. Output entries are handed to `output` as they come, before any result that
 * follows them is delivered.
 */
export function decodeResults(
  message: ResultsMessage,
  output: (kind: Outcome, data: string | Uint8Array) => void,
): void {
  for (let i = 1; i < message.length; i += 3) {
    const outcome = message[i] as Outcome;
    if (outcome === Outcome.Ok || outcome === Outcome.Started) continue;
    if (outcome === Outcome.OkPacked) {
      message[i + 1] = unpackNumbers(message[i + 1] as Float64Array);
      message[i] = Outcome.Ok;
    } else if (isOutput(outcome)) {
      output(outcome, message[i + 1] as string | Uint8Array);
    } else if (outcome === Outcome.Progress) {
      message[i + 1] = readProgress(message[i + 1] as Uint8Array);
    } else {
      message[i + 1] = decodeFailure(outcome, message[i + 1]);
    }
  }
}

/**
 * A progress value, deserialized; one the main thread cannot read (too deep for its stack) is an
 * Error that says so, handed to `onProgress` in its place, so that the values keep their order.
 */
function readProgress(bytes: Uint8Array): unknown {
  try {
    return deserialize(bytes);
  } catch (error) {
    return new Error(
      `A progress value could be sent but not read by the main thread (${(error as Error).message})`,
    );
  }
}

/** An Error (Outcome.Error), or a ChunkFailure with Errors (Outcome.PartialChunk). */
export function decodeFailure(outcome: Outcome, value: unknown): unknown {
  if (outcome === Outcome.Error) return deserializeError(value as WireError);
  const chunk = value as ChunkFailure;
  return {
    values: chunk.values,
    failures: chunk.failures.map(([index, error]) => [index, deserializeError(error)]),
  } satisfies ChunkFailure<unknown>;
}
