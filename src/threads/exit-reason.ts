/**
 * Why a carrier exited, as the pool's 'threadExit' event tells it. Whoever stops a carrier sets
 * `ThreadHandle.exitReason` first; a carrier that exits with none set has crashed.
 *
 * @example
 * ```ts
 * import { ThreadPool, type ThreadExitReason } from 'spindle';
 * await using pool = new ThreadPool();
 * const unexpected: ThreadExitReason[] = ['crash', 'abort'];
 * pool.on('threadExit', ({ name, reason }) => {
 *   if (unexpected.includes(reason)) console.warn(`${name} stopped: ${reason}`);
 * });
 * ```
 */
export type ThreadExitReason =
  /** It idled for `idleTimeout` ms with nothing to do. */
  | 'idle'
  /** It ran `maxTasksPerThread` tasks and was replaced. */
  | 'maxTasksPerThread'
  /** It exited by itself or was killed: `process.exit()` in a task, an uncaught error, OOM. */
  | 'crash'
  /** A task it ran did not settle within `abortGrace` of its abort (or its timeout). */
  | 'abort'
  /** The pool was terminated (or broke). */
  | 'terminate'
  /** The pool was closed and its work is done. */
  | 'close';
