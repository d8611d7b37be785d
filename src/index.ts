/**
 * spindle: Python's ThreadPool and ThreadPoolExecutor for Node.js, on worker threads.
 * Public exports only.
 */

export {
  BrokenPoolError,
  CancelledError,
  InvalidStateError,
  TimeoutError,
  WorkerExitError,
} from './errors.js';
export type { ThreadPoolOptions } from './options.js';
export type { ResultCallbacks } from './pool/async-result.js';
export { AsyncResult } from './pool/async-result.js';
export type {
  ExecutorMapOptions,
  MapIterables,
  ShutdownOptions,
  ThreadPoolExecutorEvents,
  ThreadPoolExecutorOptions,
} from './pool/executor.js';
export { ThreadPoolExecutor } from './pool/executor.js';
export type { ExecutorMapIterator } from './pool/executor-map.js';
export type { ModuleTasks } from './pool/functions.js';
export { fromModule } from './pool/functions.js';
export { Future } from './pool/future.js';
export { IMapIterator } from './pool/imap.js';
export type {
  ApplyAsyncOptions,
  Input,
  IssueOptions,
  MapAsyncOptions,
  MapOptions,
  ThreadPoolEvents,
} from './pool/thread-pool.js';
export { ThreadPool } from './pool/thread-pool.js';
export type {
  AsCompletedIterator,
  AsCompletedOptions,
  CompletedFuture,
  DoneAndNotDoneFutures,
  ReturnWhen,
  WaitOptions,
} from './pool/wait.js';
export { ALL_COMPLETED, asCompleted, FIRST_COMPLETED, FIRST_EXCEPTION, wait } from './pool/wait.js';
