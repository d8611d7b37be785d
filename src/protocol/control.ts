/**
 * The messages that carry no task and no result: few and rare, so plain objects tagged by `t`
 * (the run batches and result batches, many and frequent, are flat arrays: see run-batch.ts and
 * results.ts, and `isBatch`).
 */
import type { WireError } from './errors.js';
import type { FunctionDef } from './functions.js';

/**
 * Main → worker: functions this thread will be asked to run, and functions it may forget (no task
 * of this thread uses them any more). A message of its own, so that a batch that cannot be read
 * never takes a definition with it.
 */
export interface DefineMessage {
  t: 'define';
  defs: FunctionDef[];
  forget: number[] | null;
}

/**
 * Either way: message `n` (counting every message the sender posted on the channel, from 1) could
 * not be deserialized by the receiver (`reason`). The sender knows what it carried and settles it
 * (see delivery.ts).
 */
export interface LostMessage {
  t: 'lost';
  n: number;
  reason: string;
}

/**
 * Either way: the sender has settled (or sent again) what lost message `n` carried. Until then
 * the receiver counts no message from `n` on as taken, so that the sender keeps it.
 */
export interface ResentMessage {
  t: 'resent';
  n: number;
}

/** Main → worker: write out what is left and exit (a graceful stop). */
export interface StopMessage {
  t: 'stop';
}

/**
 * Main → worker: the running task `seq` is aborted (its caller's signal, or its timeout): its
 * `signal()` aborts with `reason`.
 */
export interface AbortMessage {
  t: 'abort';
  seq: number;
  reason: WireError;
}

/**
 * Worker → main: the task `seq`, whose running time is limited, started at `at` (`Date.now()`,
 * a clock both threads share). Posted before the task runs, so it arrives even if the task then
 * blocks its thread.
 */
export interface StartedMessage {
  t: 'started';
  seq: number;
  at: number;
}

/** Worker → main: the initializer finished; the thread takes tasks. */
export interface ReadyMessage {
  t: 'ready';
}

/** Worker → main: the initializer threw; the pool is broken. */
export interface InitFailedMessage {
  t: 'init-failed';
  error: WireError;
}

export type ControlToWorker =
  | DefineMessage
  | LostMessage
  | ResentMessage
  | StopMessage
  | AbortMessage;
export type ControlFromWorker =
  | ReadyMessage
  | InitFailedMessage
  | LostMessage
  | ResentMessage
  | StartedMessage;

export function defineMessage(defs: FunctionDef[], forget: number[] | null): DefineMessage {
  return { t: 'define', defs, forget };
}

export function lostMessage(n: number, reason: string): LostMessage {
  return { t: 'lost', n, reason };
}

export function resentMessage(n: number): ResentMessage {
  return { t: 'resent', n };
}

export const STOP: StopMessage = { t: 'stop' };

export function abortMessage(seq: number, reason: WireError): AbortMessage {
  return { t: 'abort', seq, reason };
}

export function startedMessage(seq: number, at: number): StartedMessage {
  return { t: 'started', seq, at };
}

export const READY: ReadyMessage = { t: 'ready' };

export function initFailedMessage(error: WireError): InitFailedMessage {
  return { t: 'init-failed', error };
}

/** Whether a message is a batch (of tasks, or of results) rather than a control message. */
export const isBatch: (message: unknown) => message is unknown[] = Array.isArray;
