/**
 * `ProcessPool` and `ProcessPoolExecutor`: Python's `multiprocessing.Pool` and
 * `concurrent.futures.ProcessPoolExecutor`. The whole API is ThreadPool's and
 * ThreadPoolExecutor's: these classes only give the engine other carriers (child processes, see
 * process-host.ts) and take the options that name them.
 */
import { ThreadPoolExecutor } from '../executor/executor.js';
import type { ProcessPoolExecutorOptions, ProcessPoolOptions } from '../options/process-types.js';
import {
  resolveProcessExecutorOptions,
  resolveProcessPoolOptions,
} from '../options/resolve-process.js';
import type { ThreadPoolExecutorOptions, ThreadPoolOptions } from '../options/types.js';
import { ThreadPool } from '../thread-pool/thread-pool.js';
import { definePoolKind } from '../threads/pool-kinds.js';
import { processHostFor } from './process-host.js';

/**
 * Python's `multiprocessing.Pool`: ThreadPool's whole API (the eight ways to issue, AsyncResult,
 * IMapIterator, callbacks, `close`/`terminate`/`join`, `await using`), with `workers` task slots
 * on child processes instead of threads. Use it for what threads cannot do: a native addon that
 * may crash (only its process dies), `process.chdir()`, signal handlers, a heap per worker, a
 * module that refuses to load in a worker. Values cross by structured clone, as to threads;
 * a `SharedArrayBuffer` cannot be shared with another process (the task fails with a
 * DataCloneError that says so), and buffers in a `transfer` list are copied to the child (they
 * leave the caller as they would for a thread).
 * @example
 * ```ts
 * import { ProcessPool } from 'spindle';
 * await using pool = new ProcessPool(); // one process per core, started when work comes
 * const pids = await pool.map(() => process.pid, [1, 2, 3, 4]);
 * console.log(pids.every((pid) => pid !== process.pid)); // true
 * ```
 */
export class ProcessPool extends ThreadPool {
  /**
   * `new ProcessPool()`, `new ProcessPool(4)` (Python's `Pool(processes=4)`: 4 task slots), or
   * `new ProcessPool({ workers, processes, initializer, initargs, maxTasksPerProcess, name,
   * resourceLimits, idleTimeout, timings, abortGrace })`. Options only threads have (`threads`,
   * `maxTasksPerThread`, `workerEntry`, thread `resourceLimits` other than
   * `maxOldGenerationSizeMb`) are a TypeError.
   * @example
   * ```ts
   * import { ProcessPool } from 'spindle';
   * const cpu = new ProcessPool(); // one task slot per core, each on a process of its own
   * const io = new ProcessPool({ workers: 64, processes: 2 }); // 64 tasks at once on 2 processes
   * const fresh = new ProcessPool({ maxTasksPerProcess: 10 }); // Python's maxtasksperchild
   * await Promise.all([cpu, io, fresh].map((pool) => pool.terminate()));
   * ```
   */
  constructor(options?: number | ProcessPoolOptions) {
    // The options are read by the kind registered below, not as ThreadPool's.
    super(options as number | ThreadPoolOptions | undefined);
  }

  /**
   * How many child processes may carry the task slots (0: the main thread). They start lazily.
   * @example
   * ```ts
   * import { ProcessPool } from 'spindle';
   * await using pool = new ProcessPool({ workers: 8, processes: 2 });
   * console.log(pool.workers, pool.processes); // 8 2
   * ```
   */
  get processes(): number {
    return this.threads;
  }
}

definePoolKind(ProcessPool, {
  resolve: (input) => resolveProcessPoolOptions(input),
  host: processHostFor,
});

/**
 * Python's `concurrent.futures.ProcessPoolExecutor`: ThreadPoolExecutor's whole API (`submit`,
 * `submitWith`, `map`, `shutdown`, `await using`), on child processes; its futures work with
 * {@link wait} and {@link asCompleted} beside any other executor's. `maxWorkers` defaults to the
 * number of cores, as in Python.
 * @example
 * ```ts
 * import { ProcessPoolExecutor } from 'spindle';
 * await using executor = new ProcessPoolExecutor();
 * const future = executor.submit((a: number, b: number) => a * b, 6, 7);
 * console.log(await future.result()); // 42
 * ```
 */
export class ProcessPoolExecutor extends ThreadPoolExecutor {
  /**
   * `new ProcessPoolExecutor()`, `new ProcessPoolExecutor(4)` (Python's `max_workers=4`), or
   * `new ProcessPoolExecutor({ maxWorkers, processes, processNamePrefix, initializer, initargs,
   * maxTasksPerProcess, resourceLimits, idleTimeout, timings, abortGrace })`.
   * @example
   * ```ts
   * import { ProcessPoolExecutor } from 'spindle';
   * const executor = new ProcessPoolExecutor(2);
   * const named = new ProcessPoolExecutor({ maxWorkers: 4, processNamePrefix: 'render' });
   * await Promise.all([executor.shutdown(), named.shutdown()]);
   * ```
   */
  constructor(options?: number | ProcessPoolExecutorOptions) {
    super(options as number | ThreadPoolExecutorOptions | undefined);
  }

  /**
   * How many child processes may carry the calls (0: the main thread).
   * @example
   * ```ts
   * import { ProcessPoolExecutor } from 'spindle';
   * await using executor = new ProcessPoolExecutor({ maxWorkers: 8, processes: 2 });
   * console.log(executor.maxWorkers, executor.processes); // 8 2
   * ```
   */
  get processes(): number {
    return this.threads;
  }
}

definePoolKind(ProcessPoolExecutor, {
  resolve: (input) => resolveProcessExecutorOptions(input),
  host: processHostFor,
});
