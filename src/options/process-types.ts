/**
 * The options of ProcessPool and ProcessPoolExecutor: those of ThreadPool and ThreadPoolExecutor,
 * with child processes in place of threads.
 */
import type { ThreadPoolExecutorOptions, ThreadPoolOptions } from './types.js';

/** Heap limits of each child process (V8's `--max-old-space-size`). */
export interface ProcessResourceLimits {
  /**
   * The size of each child's main heap, in MB. A child that runs out dies (out of memory): its
   * running tasks fail with WorkerExitError and it is replaced.
   * @example
   * ```ts
   * import { ProcessPool } from 'spindle';
   * await using pool = new ProcessPool({ resourceLimits: { maxOldGenerationSizeMb: 512 } });
   * ```
   */
  maxOldGenerationSizeMb?: number;
}

/** What only threads have: refused by the process classes with a TypeError that says so. */
type ThreadOnly = 'threads' | 'maxTasksPerThread' | 'resourceLimits' | 'workerEntry';

/** The options of `new ProcessPool(options)`. */
export interface ProcessPoolOptions extends Omit<ThreadPoolOptions, ThreadOnly> {
  /**
   * How many child processes carry the `workers` task slots. `0` runs tasks on the main thread's
   * event loop (as `threads: 0` does). Processes start lazily, when work needs them.
   * @default Math.min(workers, os.availableParallelism())
   * @example
   * ```ts
   * import { ProcessPool } from 'spindle';
   * await using pool = new ProcessPool({ workers: 8, processes: 2 }); // 8 slots on 2 processes
   * ```
   */
  processes?: number;
  /**
   * A child process is replaced after it has run this many tasks (Python's `maxtasksperchild`).
   * @default undefined (never)
   * @example
   * ```ts
   * import { ProcessPool } from 'spindle';
   * await using pool = new ProcessPool({ maxTasksPerProcess: 100 }); // e.g. for a leaky addon
   * ```
   */
  maxTasksPerProcess?: number;
  /**
   * Heap limits of each child process.
   * @example
   * ```ts
   * import { ProcessPool } from 'spindle';
   * await using pool = new ProcessPool({ resourceLimits: { maxOldGenerationSizeMb: 256 } });
   * ```
   */
  resourceLimits?: ProcessResourceLimits;
}

/** The options of `new ProcessPoolExecutor(options)`. */
export interface ProcessPoolExecutorOptions
  extends Omit<ThreadPoolExecutorOptions, ThreadOnly | 'threadNamePrefix'> {
  /**
   * How many child processes carry the `maxWorkers` task slots (`0`: the main thread).
   * @default Math.min(maxWorkers, os.availableParallelism())
   * @example
   * ```ts
   * import { ProcessPoolExecutor } from 'spindle';
   * await using executor = new ProcessPoolExecutor({ maxWorkers: 4, processes: 2 });
   * ```
   */
  processes?: number;
  /**
   * A child process is replaced after it has run this many tasks (Python's `max_tasks_per_child`).
   * @default undefined (never)
   * @example
   * ```ts
   * import { ProcessPoolExecutor } from 'spindle';
   * await using executor = new ProcessPoolExecutor({ maxTasksPerProcess: 1 }); // a fresh process per task
   * ```
   */
  maxTasksPerProcess?: number;
  /**
   * Heap limits of each child process.
   * @example
   * ```ts
   * import { ProcessPoolExecutor } from 'spindle';
   * await using executor = new ProcessPoolExecutor({ resourceLimits: { maxOldGenerationSizeMb: 256 } });
   * ```
   */
  resourceLimits?: ProcessResourceLimits;
  /**
   * Child processes are named `${processNamePrefix}-${i}` (in errors and events).
   * @default 'ProcessPoolExecutor-N'
   * @example
   * ```ts
   * import { ProcessPoolExecutor } from 'spindle';
   * await using executor = new ProcessPoolExecutor({ processNamePrefix: 'encoder' });
   * ```
   */
  processNamePrefix?: string;
}
