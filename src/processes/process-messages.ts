/** What the pool says when a task cannot reach its child process. */
import type { Task } from '../engine/task.js';

export function processCloneError(cloneError: unknown, task: Task): Error {
  const what = task.mode === 0 ? "the task's arguments" : 'an item of the chunk';
  const message = (cloneError as Error | null)?.message ?? String(cloneError);
  const shared = /SharedArrayBuffer/.test(message)
    ? ' A SharedArrayBuffer cannot be shared with another process: use a ThreadPool to share memory, or pass a copy (e.g. a Uint8Array of its bytes).'
    : '';
  return new DOMException(
    `Cannot send ${what} to a child process: ${message}${shared} ` +
      'Arguments must be structured-cloneable (no functions, symbols or class instances with private state).',
    'DataCloneError',
  );
}
