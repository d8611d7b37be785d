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
export type {
  ExecutorMapOptions,
  MapIterables,
  ShutdownOptions,
  ThreadPoolExecutorEvents,
  ThreadPoolExecutorOptions,
} from './executor/executor.js';
export { ThreadPoolExecutor } from './executor/executor.js';
export type { ExecutorMapIterator } from './executor/executor-map.js';
export { Future } from './executor/future.js';
export type {
  AsCompletedIterator,
  AsCompletedOptions,
  CompletedFuture,
  DoneAndNotDoneFutures,
  ReturnWhen,
  WaitOptions,
} from './executor/wait.js';
export {
  ALL_COMPLETED,
  asCompleted,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  wait,
} from './executor/wait.js';
export type { ModuleTasks } from './functions/functions.js';
export { fromModule } from './functions/functions.js';
export type { ThreadPoolOptions } from './options.js';
export type { ResultCallbacks } from './thread-pool/async-result.js';
export { AsyncResult } from './thread-pool/async-result.js';
export { IMapIterator } from './thread-pool/imap.js';
export type {
  ApplyAsyncOptions,
  Input,
  IssueOptions,
  MapAsyncOptions,
  MapOptions,
  ThreadPoolEvents,
} from './thread-pool/thread-pool.js';
export { ThreadPool } from './thread-pool/thread-pool.js';
