/**
 * spindle: Python's ThreadPool and ThreadPoolExecutor for Node.js, on worker threads. Start with
 * {@link ThreadPool} or {@link ThreadPoolExecutor}; task functions are inline functions or the
 * exports of a task module ({@link fromModule}).
 * @packageDocumentation
 * @module spindle
 * @sortStrategy kind, alphabetical
 */
// This file holds the public exports only.

export type {
  ThreadExitEvent,
  ThreadStartEvent,
  WorkEvents,
} from './engine/pool-events.js';
export type { PoolStats, ThreadCounts, TimeSummary } from './engine/stats.js';
export {
  BrokenPoolError,
  CancelledError,
  InvalidStateError,
  TimeoutError,
  WorkerExitError,
} from './errors.js';
export type { MapIterables, ThreadPoolExecutorEvents } from './executor/executor.js';
export { ThreadPoolExecutor } from './executor/executor.js';
export type { ExecutorMapIterator } from './executor/executor-map.js';
export { Future } from './executor/future.js';
export type {
  AsCompletedIterator,
  CompletedFuture,
  DoneAndNotDoneFutures,
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
export type {
  ProcessPoolExecutorOptions,
  ProcessPoolOptions,
  ProcessResourceLimits,
} from './options/process-types.js';
export type {
  ApplyAsyncOptions,
  ApplyOptions,
  AsCompletedOptions,
  ControlOptions,
  ExecutorMapOptions,
  IssueOptions,
  MapAsyncOptions,
  MapOptions,
  MapTransfer,
  ProgressOptions,
  ResultCallbacks,
  ReturnWhen,
  ShutdownOptions,
  SubmitOptions,
  TaskFunction,
  ThreadPoolExecutorOptions,
  ThreadPoolOptions,
  Transferable,
  WaitOptions,
} from './options/types.js';
export { ProcessPool, ProcessPoolExecutor } from './processes/process-pool.js';
export { AsyncResult } from './thread-pool/async-result.js';
export { IMapIterator } from './thread-pool/imap.js';
export type { FromFunctionOnly, Input, ThreadPoolEvents } from './thread-pool/thread-pool.js';
export { ThreadPool } from './thread-pool/thread-pool.js';
export type { Backend } from './threads/backend.js';
export type { ThreadExitReason } from './threads/exit-reason.js';
