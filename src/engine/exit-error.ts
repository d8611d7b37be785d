/**
 * The WorkerExitError a carrier's exit gives its tasks: a thread exits with a code; a child
 * process may instead be killed by a signal (SIGKILL, SIGSEGV…), which the error then names.
 */
import { WorkerExitError } from '../errors.js';
import type { ThreadHandle } from '../threads/thread-handle.js';

/** "exited with code 3", or "was killed by SIGSEGV". */
function how(thread: ThreadHandle, exitCode: number): string {
  return thread.exitSignal ? `was killed by ${thread.exitSignal}` : `exited with code ${exitCode}`;
}

function because(error: unknown): string {
  return error instanceof Error ? `: ${error.message}` : '';
}

/** For a task the carrier was running. */
export function taskExitError(
  thread: ThreadHandle,
  exitCode: number,
  error: unknown,
): WorkerExitError {
  return new WorkerExitError(
    `The ${thread.kind} running this task (${thread.name}) ${how(thread, exitCode)}${because(error)}`,
    exitCode,
    thread.name,
    { signal: thread.exitSignal, ...(error === undefined ? {} : { cause: error }) },
  );
}

/** For the pool, when the carrier exited before it was ready. */
export function startExitError(
  thread: ThreadHandle,
  exitCode: number,
  error: unknown,
): WorkerExitError {
  const kind = thread.kind[0]?.toUpperCase() + thread.kind.slice(1);
  return new WorkerExitError(
    `${kind} ${thread.name} ${how(thread, exitCode)} while starting${because(error)}`,
    exitCode,
    thread.name,
    { signal: thread.exitSignal, ...(error === undefined ? {} : { cause: error }) },
  );
}
