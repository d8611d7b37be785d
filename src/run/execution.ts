/**
 * How one task runs, the same on a worker thread and on the main thread (`threads: 0`): apply the
 * function to the payload, following a returned promise if there is one, and report the outcome
 * once. Synchronous results are reported synchronously, so a thread can run a batch of sync tasks
 * without a trip through the event loop.
 */
import { Mode, Outcome } from '../protocol/messages.js';
import { type ChunkHelpers, ChunkRun, type ThenableCheck } from './chunk-run.js';

export interface ExecutionSink {
  /** Called exactly once per task; `chunk` when value is a chunk's array of results. */
  complete(seq: number, outcome: Outcome, value: unknown, chunk?: boolean): void;
  /** Turns a thrown value into what travels back (serialized on a thread, as is on the main thread). */
  wrapError(thrown: unknown): unknown;
}

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * A result's `then`, read once and guarded: a getter or Proxy trap that throws makes it that
 * task's error, never an uncaught exception in the thread (or, with `threads: 0`, the process).
 */
const NOT_THENABLE = 0;
const THENABLE = 1;
const THEN_THREW = 2;
let thenError: unknown;

function thenableKind(value: unknown): number {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return NOT_THENABLE;
  }
  try {
    return typeof (value as { then?: unknown }).then === 'function' ? THENABLE : NOT_THENABLE;
  } catch (thrown) {
    thenError = thrown;
    return THEN_THREW;
  }
}

function takeThenError(): unknown {
  const thrown = thenError;
  thenError = undefined;
  return thrown;
}

/** Promise.resolve reads `then` (and a promise's `constructor`) again, and may throw too. */
function follow(value: unknown): Promise<unknown> {
  try {
    return promiseResolve(value);
  } catch (thrown) {
    return promiseReject(thrown);
  }
}

// Captured once: task code may replace globals of its thread.
const promiseResolve = Promise.resolve.bind(Promise) as (value: unknown) => Promise<unknown>;
const promiseReject = Promise.reject.bind(Promise) as (reason: unknown) => Promise<unknown>;

/** A chunk item's result, for chunk-run.ts: a plain value, a thenable, or a `then` that threw. */
const checkItem: ThenableCheck = (value) => {
  const kind = thenableKind(value);
  if (kind === NOT_THENABLE) return 'value';
  if (kind === THENABLE) return 'thenable';
  return { threw: takeThenError() };
};

/** `helpers`: the thread may run a chunk's unstarted items in its free slots (see chunk-run.ts). */
export function execute(
  fn: AnyFunction,
  mode: Mode,
  payload: unknown,
  seq: number,
  sink: ExecutionSink,
  helpers?: ChunkHelpers,
): void {
  if (mode !== Mode.Call) {
    const items = payload as ArrayLike<unknown>;
    new ChunkRun(fn, mode === Mode.Starmap, items, seq, sink, helpers, checkItem, follow).start();
    return;
  }
  let result: unknown;
  try {
    result = fn.apply(undefined, payload as unknown[]);
  } catch (thrown) {
    sink.complete(seq, Outcome.Error, sink.wrapError(thrown));
    return;
  }
  const kind = thenableKind(result);
  if (kind === NOT_THENABLE) {
    sink.complete(seq, Outcome.Ok, result);
    return;
  }
  if (kind === THEN_THREW) {
    sink.complete(seq, Outcome.Error, sink.wrapError(takeThenError()));
    return;
  }
  follow(result).then(
    (value) => sink.complete(seq, Outcome.Ok, value),
    (thrown) => sink.complete(seq, Outcome.Error, sink.wrapError(thrown)),
  );
}
