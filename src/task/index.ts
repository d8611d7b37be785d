/**
 * `spindle/task`: what a running task can call. Import it in a task module
 * (`import { signal, progress } from 'spindle/task'`) or, in an inline function, with
 * `const { signal, progress } = await import('spindle/task')`. On `threads: 0` it works the same.
 * @packageDocumentation
 * @module spindle/task
 */
import { currentContext, type TaskContext, taskContextSlot } from '../run/task-context.js';

const slot = taskContextSlot();
// From now on every task of this isolate keeps its context across its awaits.
slot.apiLoaded = true;

function context(what: string): TaskContext {
  const found = currentContext(slot);
  if (found === undefined) {
    throw new Error(
      `${what} of 'spindle/task' was called outside a running task: call it from a task ` +
        'function while the task runs (not at the top level of a module, in an initializer, or ' +
        'after the task has settled)',
    );
  }
  return found;
}

/**
 * The running task's AbortSignal: aborted when the caller's `signal` aborts or the task's
 * `timeout` passes (its `reason` says which). A task issued with neither gets a signal that never
 * aborts. A task that does not stop within the pool's `abortGrace` has its thread stopped.
 *
 * @example
 * ```ts
 * import { signal } from 'spindle/task';
 * export async function download(url: string) {
 *   const response = await fetch(url, { signal: signal() });
 *   return response.text();
 * }
 * ```
 */
export function signal(): AbortSignal {
  return context('signal()').signal;
}

/**
 * Sends `value` to the caller's `onProgress` callback, which receives every value in order, on
 * the main thread, before the task's result. The value is cloned at once: a value that cannot be
 * cloned throws here, inside the task. Does nothing when the caller gave no `onProgress`.
 *
 * @example
 * ```ts
 * import { progress } from 'spindle/task';
 * export function crunch(items: number[]) {
 *   let sum = 0;
 *   items.forEach((item, i) => {
 *     sum += item;
 *     if (i % 1000 === 0) progress(i / items.length);
 *   });
 *   return sum;
 * }
 * ```
 */
export function progress(value: unknown): void {
  context('progress()').progress(value);
}
