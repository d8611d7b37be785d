/**
 * How one task runs, the same on a worker thread and on the main thread (`threads: 0`): apply the
 * function to the payload, following a returned promise if there is one, and report the outcome
 * once. Synchronous results are reported synchronously, so a thread can run a batch of sync tasks
 * without a trip through the event loop.
 */
import { type ChunkFailure, Mode, Outcome } from './messages.js';

export interface ExecutionSink {
  /** Called exactly once per task; `chunk` when value is a chunk's array of results. */
  complete(seq: number, outcome: Outcome, value: unknown, chunk?: boolean): void;
  /** Turns a thrown value into what travels back (serialized on a thread, as is on the main thread). */
  wrapError(thrown: unknown): unknown;
}

type AnyFunction = (...args: unknown[]) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export function execute(
  fn: AnyFunction,
  mode: Mode,
  payload: unknown,
  seq: number,
  sink: ExecutionSink,
): void {
  if (mode !== Mode.Call) {
    const items = payload as ArrayLike<unknown>;
    runChunk(fn, mode === Mode.Starmap, items, seq, sink, 0, new Array(items.length), null);
    return;
  }
  let result: unknown;
  try {
    result = fn.apply(undefined, payload as unknown[]);
  } catch (thrown) {
    sink.complete(seq, Outcome.Error, sink.wrapError(thrown));
    return;
  }
  if (!isThenable(result)) {
    sink.complete(seq, Outcome.Ok, result);
    return;
  }
  Promise.resolve(result).then(
    (value) => sink.complete(seq, Outcome.Ok, value),
    (thrown) => sink.complete(seq, Outcome.Error, sink.wrapError(thrown)),
  );
}

/**
 * Runs the items of a chunk one after the other (a chunk holds one task slot, so its items never
 * overlap), going on past failures so that every item has its own outcome.
 */
function runChunk(
  fn: AnyFunction,
  star: boolean,
  items: ArrayLike<unknown>,
  seq: number,
  sink: ExecutionSink,
  start: number,
  values: unknown[],
  failures: [number, unknown][] | null,
): void {
  for (let i = start; i < items.length; i++) {
    let result: unknown;
    try {
      result = star ? fn.apply(undefined, items[i] as unknown[]) : fn(items[i]);
    } catch (thrown) {
      failures ??= [];
      failures.push([i, sink.wrapError(thrown)]);
      continue;
    }
    if (isThenable(result)) {
      const failed = failures ?? [];
      Promise.resolve(result).then(
        (value) => {
          values[i] = value;
          runChunk(fn, star, items, seq, sink, i + 1, values, failures);
        },
        (thrown) => {
          failed.push([i, sink.wrapError(thrown)]);
          runChunk(fn, star, items, seq, sink, i + 1, values, failed);
        },
      );
      return;
    }
    values[i] = result;
  }
  if (failures === null) sink.complete(seq, Outcome.Ok, values, true);
  else
    sink.complete(seq, Outcome.PartialChunk, { values, failures } satisfies ChunkFailure<unknown>);
}
