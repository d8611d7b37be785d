/**
 * A child process's IPC channel, dressed as the port the runtime talks on (a MessagePort between
 * threads): messages come as 'message' events, and go by `process.send` (structured clone, with
 * the pool's `serialization: 'advanced'`). Nothing can be taken from it at once, so the runtime's
 * PortReader turns itself off for it (see protocol/port-reader.ts).
 *
 * Values that may be deep go sealed (protocol/depth.ts): a task's result or error, or the error of
 * a 'fatal' or 'init-failed' message, serialized here and read by the pool in its own code
 * (processes/sealed-values.ts). Node's channel deserializes each message in its own reader, where
 * a value too deep for the pool's stack (a result nested ~2,500 deep) threw out of reach and ended
 * the pool's process. Sealed, such a value fails its own task, as a thread's does. So the pool
 * never loses a message, and nothing is kept here to answer for one (`reportsLoss`).
 */
import { EventEmitter } from 'node:events';
import { isBatch } from '../protocol/control.js';
import { mayBeDeep } from '../protocol/depth.js';
import { Outcome, SEALED } from '../protocol/outcomes.js';
import { nodeV8 } from './node-v8.js';

type Send = (message: unknown) => boolean;

export class IpcPort extends EventEmitter {
  readonly #send: Send;
  readonly reportsLoss = false;

  /** `send`: `process.send`, captured before any task code runs. */
  constructor(send: Send) {
    super();
    this.#send = send;
  }

  /**
   * Sends a message to the pool (a value that cannot be cloned throws, as postMessage does). The
   * transfer list is not needed: what crosses to another process is always copied.
   */
  postMessage(message: unknown, _transfer?: readonly unknown[]): void {
    // The parent is gone (this process is about to exit, see child-entry.ts): nothing to tell.
    if (!process.connected) return;
    this.#send(seal(message));
  }
}

/**
 * The message with its values sealed where they may be too deep for the pool (mayBeDeep): in a
 * batch, each result or error; in a 'fatal' or 'init-failed' message, its error. A value that
 * cannot be serialized throws, as the channel would (the runtime then sends the batch's results
 * one by one).
 */
export function seal(message: unknown): unknown {
  if (isBatch(message)) {
    for (let i = 1; i < message.length; i += 3) {
      const outcome = message[i] as number;
      const value = message[i + 1];
      if (!holdsValue(outcome) || !mayBeDeep(value)) continue;
      message[i + 1] = nodeV8().serialize(value);
      message[i] = outcome | SEALED;
    }
    return message;
  }
  const error = (message as { error?: unknown } | null)?.error;
  if (!mayBeDeep(error)) return message;
  return { ...(message as object), error: nodeV8().serialize(error), sealed: true };
}

/** A task's result or error (not output, a progress value already serialized, or a start time). */
function holdsValue(outcome: number): boolean {
  return outcome === Outcome.Ok || outcome === Outcome.Error || outcome === Outcome.PartialChunk;
}
