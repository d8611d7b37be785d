/**
 * The options of the process classes, checked and turned into the pool options the engine runs
 * on (`processes` carriers where a thread pool has `threads`).
 */
import { availableParallelism } from 'node:os';
import { resolveExecutorOptions, resolvePoolOptions } from './resolve.js';
import type { ResolvedPoolOptions, ThreadPoolOptions } from './types.js';
import { describe, expectPlainObject, optionalInteger, rejectUnknownKeys } from './validate.js';

/** Options of the thread classes that mean nothing for processes, and what to use instead. */
const THREAD_ONLY: Record<string, string> = {
  threads: 'it takes `processes`',
  maxTasksPerThread: 'it takes `maxTasksPerProcess`',
  threadNamePrefix: 'it takes `processNamePrefix`',
  workerEntry:
    'its children start from `child.cjs` beside the worker entry, found as for threads (the SPINDLE_WORKER_ENTRY variable names that entry)',
};

const LIMITS = new Set(['maxOldGenerationSizeMb']);

function refuseThreadOnly(what: string, options: Record<string, unknown>): void {
  for (const key of Object.keys(options)) {
    const instead = THREAD_ONLY[key];
    if (instead !== undefined && options[key] !== undefined) {
      throw new TypeError(`\`${key}\` is an option of thread pools, not of ${what}: ${instead}`);
    }
  }
  const limits = options.resourceLimits;
  if (limits === undefined) return;
  for (const key of Object.keys(expectPlainObject('resourceLimits', limits))) {
    if (!LIMITS.has(key)) {
      throw new TypeError(
        `\`resourceLimits.${key}\` is a limit of worker threads, not of ${what}: a child process takes only \`maxOldGenerationSizeMb\` (its --max-old-space-size)`,
      );
    }
  }
}

/** The thread options the process options amount to (the rest is checked as for threads). */
function asThreadOptions(
  what: string,
  options: Record<string, unknown>,
  workers: number | undefined,
): ThreadPoolOptions {
  refuseThreadOnly(what, options);
  const { processes, maxTasksPerProcess, ...rest } = options;
  const carriers = optionalInteger('processes', processes, 0);
  const translated: Record<string, unknown> = { ...rest };
  // The default: one process per task slot, at most one per core.
  translated.threads =
    carriers ?? Math.min(workers ?? availableParallelism(), availableParallelism());
  translated.maxTasksPerThread = optionalInteger('maxTasksPerProcess', maxTasksPerProcess, 1);
  return translated as ThreadPoolOptions;
}

const POOL_KEYS = new Set([
  'workers',
  'processes',
  'initializer',
  'initargs',
  'initializerTimeout',
  'maxTasksPerProcess',
  'name',
  'resourceLimits',
  'idleTimeout',
  'timings',
  'abortGrace',
]);

const EXECUTOR_KEYS = new Set([
  'maxWorkers',
  'processes',
  'processNamePrefix',
  'initializer',
  'initargs',
  'initializerTimeout',
  'maxTasksPerProcess',
  'resourceLimits',
  'idleTimeout',
  'timings',
  'abortGrace',
]);

/** Unknown keys are refused by the names the process classes take (thread-only ones, saying so). */
function checkKeys(what: string, options: Record<string, unknown>, known: Set<string>): void {
  refuseThreadOnly(what, options);
  rejectUnknownKeys(what, options, known);
}

export function resolveProcessPoolOptions(input: unknown): ResolvedPoolOptions {
  if (input === undefined || input === null || typeof input !== 'object' || Array.isArray(input)) {
    // Python's positional `processes` is `workers` here too, checked as such.
    return resolvePoolOptions(input as number | undefined, 'ProcessPool');
  }
  const options = expectPlainObject('options', input) as Record<string, unknown>;
  checkKeys('ProcessPool', options, POOL_KEYS);
  const workers = optionalInteger('workers', options.workers, 1);
  return resolvePoolOptions(asThreadOptions('ProcessPool', options, workers), 'ProcessPool');
}

let executorCounter = 0;

/** Python's ProcessPoolExecutor: `max_workers` defaults to the number of cores. */
export function resolveProcessExecutorOptions(input: unknown): ResolvedPoolOptions {
  let options: Record<string, unknown>;
  if (input === undefined || input === null) options = {};
  else if (typeof input === 'number') options = { maxWorkers: input };
  else if (typeof input === 'object' && !Array.isArray(input)) {
    options = expectPlainObject('options', input) as Record<string, unknown>;
  } else {
    throw new TypeError(
      `Expected ProcessPoolExecutor to be given a number of workers or an options object, got ${describe(input)}`,
    );
  }
  checkKeys('ProcessPoolExecutor', options, EXECUTOR_KEYS);
  const { processNamePrefix, ...rest } = options;
  if (processNamePrefix !== undefined && typeof processNamePrefix !== 'string') {
    throw new TypeError(
      `Expected \`processNamePrefix\` to be a string, got ${describe(processNamePrefix)}`,
    );
  }
  let workers = availableParallelism();
  const { maxWorkers } = rest;
  if (maxWorkers !== undefined && maxWorkers !== null) {
    // Checked as ThreadPoolExecutor checks it, with the same words.
    const expected = `Expected \`maxWorkers\` to be an integer greater than 0, got ${describe(maxWorkers)}`;
    if (typeof maxWorkers !== 'number') throw new TypeError(expected);
    if (!Number.isInteger(maxWorkers) || maxWorkers < 1) throw new RangeError(expected);
    workers = maxWorkers;
  }
  rest.maxWorkers = workers;
  const translated = {
    ...asThreadOptions('ProcessPoolExecutor', rest, workers),
    threadNamePrefix: processNamePrefix || `ProcessPoolExecutor-${executorCounter++}`,
  };
  return resolvePoolOptions(resolveExecutorOptions(translated), 'ProcessPoolExecutor');
}
