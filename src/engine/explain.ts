/**
 * The hint that an inline function read a variable of the caller's scope (SPEC §2): a
 * ReferenceError from a function compiled from its source in another thread most likely means it.
 */
import { type ChunkFailure, Outcome } from '../protocol/messages.js';

/** Rewrites a bare "x is not defined" into what happened and how to fix it; other errors pass. */
export function explainMissingVariable(error: unknown, whose: string): unknown {
  if (!(error instanceof ReferenceError)) return error;
  const match = /^(\S+) is not defined$/.exec(error.message);
  if (!match) return error;
  const variable = match[1] as string;
  error.message =
    `${variable} is not defined in the worker thread: ${whose} ` +
    `runs in another thread and cannot read variables of the caller's scope. ` +
    `Pass ${variable} as an argument, or move the function into a task module (fromModule).`;
  if (typeof error.stack === 'string') {
    error.stack = error.stack.replace(/^ReferenceError: .*$/m, `ReferenceError: ${error.message}`);
  }
  return error;
}

/** "the task function "scale"", "the initializer" …: how the hint names the function. */
export function describeInline(role: string, name: string): string {
  // `{ initializer: () => … }` names its arrow "initializer": no need to say it twice.
  return name && !role.endsWith(` ${name}`) ? `${role} "${name}"` : role;
}

/**
 * A task's failure with the hint added: a whole task's error, or each failed item of a map chunk
 * (whose failures come as `{ values, failures: [index, error][] }`).
 */
export function explainTaskFailure(outcome: Outcome, value: unknown, name: string): unknown {
  const whose = describeInline('the task function', name);
  if (outcome === Outcome.Error) return explainMissingVariable(value, whose);
  if (outcome === Outcome.PartialChunk) {
    for (const failure of (value as ChunkFailure<unknown>).failures) {
      failure[1] = explainMissingVariable(failure[1], whose);
    }
  }
  return value;
}
