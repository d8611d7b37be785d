/**
 * What the main side of a worker thread says when a task cannot reach its thread, and where what
 * a task printed is written out.
 */
import type { Task } from '../engine/task.js';
import { Outcome } from '../protocol/messages.js';

/** What a task wrote in its thread, written out on the main thread's own stream. */
export function writeOutput(kind: Outcome, data: string | Uint8Array): void {
  try {
    (kind === Outcome.Stdout ? process.stdout : process.stderr).write(data);
  } catch {
    // A closed stream (EPIPE…): the output is lost, the results are not.
  }
}

export function unreadableArguments(reason: string, task: Task): Error {
  const what = task.mode === 0 ? "The task's arguments" : 'An item of the chunk';
  return new DOMException(
    `${what} could be sent but not read by the worker thread (${reason}): ` +
      "they are too deep or too large for the thread's stack (see resourceLimits.stackSizeMb). " +
      'Pass flatter data.',
    'DataCloneError',
  );
}

export function argumentCloneError(cloneError: unknown, task: Task): Error {
  const what = task.mode === 0 ? "the task's arguments" : 'an item of the chunk';
  return new DOMException(
    `Cannot send ${what} to a worker thread: ${(cloneError as Error).message} ` +
      'Arguments must be structured-cloneable (no functions, symbols or class instances with private state); ' +
      'ArrayBuffers listed in `transfer` must not be detached or listed twice.',
    'DataCloneError',
  );
}
