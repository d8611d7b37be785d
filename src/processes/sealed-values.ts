/**
 * The pool's side of the values a child process sends sealed (see worker/ipc-port.ts): read here,
 * in a try, so that one too deep for this process's stack fails its own task with the
 * DataCloneError a thread's would, instead of throwing from inside Node's channel reader.
 */
import { deserialize } from 'node:v8';
import type { WireError } from '../protocol/errors.js';
import { Outcome, SEALED } from '../protocol/outcomes.js';
import { unreadableByMain } from '../protocol/results.js';

/** Opens the sealed values of a results batch, in place. */
export function openSealedResults(message: unknown[]): void {
  for (let i = 1; i < message.length; i += 3) {
    const outcome = message[i] as number;
    if ((outcome & SEALED) === 0) continue;
    const open = outcome & ~SEALED;
    try {
      message[i + 1] = deserialize(message[i + 1] as Uint8Array);
      message[i] = open;
    } catch (error) {
      const what = open === Outcome.Error ? "the task's error" : "the task's result";
      message[i] = Outcome.Error;
      message[i + 1] = unreadableByMain(what, (error as Error).message);
    }
  }
}

/** The error of a 'fatal' or 'init-failed' message, opened if it came sealed. */
export function openSealedError(
  message: { error: unknown; sealed?: boolean },
  what: string,
): WireError {
  if (message.sealed !== true) return message.error as WireError;
  try {
    return deserialize(message.error as Uint8Array) as WireError;
  } catch (error) {
    return unreadableByMain(what, (error as Error).message);
  }
}
