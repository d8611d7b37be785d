/**
 * The options of a pool or an executor, checked and filled in with their defaults, once, when
 * it is made.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { expectBackend } from '../threads/backend.js';
import type { ResolvedPoolOptions, ThreadPoolExecutorOptions, ThreadPoolOptions } from './types.js';
import {
  copyArgs,
  describe,
  expectArgsArray,
  expectDuration,
  expectInteger,
  expectOptionalFunction,
  expectPlainObject,
  filePath,
  MAX_TIMER_MS,
  optionalInteger,
  rejectUnknownKeys,
} from './validate.js';

/** The smallest thread stack accepted: Node.js crashes the process below about 0.25 MB. */
const MIN_STACK_SIZE_MB = 0.5;

const POOL_OPTION_KEYS = new Set([
  'workers',
  'threads',
  'initializer',
  'initargs',
  'initializerTimeout',
  'maxTasksPerThread',
  'name',
  'resourceLimits',
  'idleTimeout',
  'workerEntry',
  'timings',
  'abortGrace',
  'backend',
]);

const EXECUTOR_KEYS = new Set([
  'maxWorkers',
  'threads',
  'threadNamePrefix',
  'initializer',
  'initargs',
  'initializerTimeout',
  'maxTasksPerThread',
  'resourceLimits',
  'idleTimeout',
  'workerEntry',
  'timings',
  'abortGrace',
  'backend',
]);

let executorCounter = 0;

/** Validates and fills in the ThreadPool options: `new ThreadPool(n)`'s number or the options object. */
export function resolvePoolOptions(
  input: number | ThreadPoolOptions | undefined | null,
  what = 'ThreadPool',
): ResolvedPoolOptions {
  const cores = availableParallelism();
  let options: ThreadPoolOptions;
  if (input === undefined || input === null) options = {};
  else if (typeof input === 'object' && !Array.isArray(input))
    options = expectPlainObject('options', input) as ThreadPoolOptions;
  // Anything else is taken as Python's positional `processes`, and checked as `workers`.
  else options = { workers: input as number };
  rejectUnknownKeys(what, options as Record<string, unknown>, POOL_OPTION_KEYS);
  const workers = optionalInteger('workers', options.workers, 1) ?? cores;
  const requestedThreads = optionalInteger('threads', options.threads, 0);
  // More threads than task slots could never be busy at once, so they are not started.
  const threads = Math.min(requestedThreads ?? cores, workers);
  expectOptionalFunction('initializer', options.initializer);
  // Captured now: the initializer runs later, in every thread that starts.
  const initargs = copyArgs(expectArgsArray('initargs', options.initargs));
  const initializerTimeout = Math.min(
    optionalInteger('initializerTimeout', options.initializerTimeout, 1) ?? 60_000,
    MAX_TIMER_MS,
  );
  const maxTasksPerThread =
    optionalInteger('maxTasksPerThread', options.maxTasksPerThread, 1) ?? Number.POSITIVE_INFINITY;
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw new TypeError(`Expected \`name\` to be a string, got ${describe(options.name)}`);
  }
  let resourceLimits: ResourceLimits | undefined;
  if (options.resourceLimits !== undefined) {
    const limits = expectPlainObject('resourceLimits', options.resourceLimits);
    for (const [key, value] of Object.entries(limits)) {
      if (value !== undefined && (typeof value !== 'number' || !(value > 0))) {
        throw new RangeError(
          `Expected \`resourceLimits.${key}\` to be a positive number, got ${describe(value)}`,
        );
      }
    }
    // Node.js does not fail a thread whose stack is too small to start: it crashes the process.
    if (typeof limits.stackSizeMb === 'number' && limits.stackSizeMb < MIN_STACK_SIZE_MB) {
      throw new RangeError(
        `Expected \`resourceLimits.stackSizeMb\` to be at least ${MIN_STACK_SIZE_MB} (a smaller stack crashes the whole process when a thread starts), got ${describe(limits.stackSizeMb)}`,
      );
    }
    resourceLimits = { ...limits } as ResourceLimits;
  }
  let idleTimeout =
    options.idleTimeout === undefined || options.idleTimeout === Number.POSITIVE_INFINITY
      ? Number.POSITIVE_INFINITY
      : expectInteger('idleTimeout', options.idleTimeout, 0);
  if (idleTimeout > MAX_TIMER_MS) idleTimeout = Number.POSITIVE_INFINITY;
  if (options.timings !== undefined && typeof options.timings !== 'boolean') {
    throw new TypeError(`Expected \`timings\` to be a boolean, got ${describe(options.timings)}`);
  }
  const abortGrace =
    options.abortGrace === undefined ? 1000 : expectDuration('abortGrace', options.abortGrace);
  return {
    workers,
    threads,
    initializer: options.initializer,
    initargs,
    initializerTimeout,
    maxTasksPerThread,
    name: options.name ?? 'spindle',
    resourceLimits,
    idleTimeout,
    workerEntry: resolveWorkerEntry(options.workerEntry),
    timings: options.timings ?? false,
    abortGrace,
    backend: expectBackend(options.backend),
  };
}

/** Where spindle's package has its worker entry (the `workerEntry` option names a copy of it). */
export const SHIPPED_WORKER_ENTRY = 'spindle/dist/worker/thread.cjs';

/**
 * The `workerEntry` option as an absolute path. The file must exist when the pool is made: a
 * wrong path fails here, not in every task later.
 */
function resolveWorkerEntry(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const expected = `Expected \`workerEntry\` to be a path or a \`file:\` URL of spindle's worker entry (a copy of \`${SHIPPED_WORKER_ENTRY}\`), got`;
  // A URL made in another realm (a test runner's vm context) is not `instanceof URL` here.
  const href = (value as { href?: unknown } | null)?.href;
  const url = value instanceof URL || (typeof value === 'object' && typeof href === 'string');
  let path: string | undefined;
  try {
    if (url) path = filePath(new URL(href as string));
    else if (typeof value === 'string' && value !== '') path = filePath(value);
  } catch {}
  if (path === undefined) {
    const shown = url ? `the URL ${String(href)}` : describe(value);
    throw new TypeError(`${expected} ${shown}`);
  }
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {}
  if (!isFile) {
    throw new RangeError(
      `${expected} ${describe(url ? String(href) : value)}: there is no file ${path}`,
    );
  }
  return path;
}

/** `new ThreadPoolExecutor(n)`'s number or options, as the ThreadPool options they amount to. */
export function resolveExecutorOptions(input: unknown): ThreadPoolOptions {
  let options: ThreadPoolExecutorOptions;
  if (input === undefined || input === null) options = {};
  else if (typeof input === 'number') options = { maxWorkers: input };
  else if (typeof input === 'object' && !Array.isArray(input)) {
    options = input as ThreadPoolExecutorOptions;
  } else {
    throw new TypeError(
      `Expected ThreadPoolExecutor to be given a number of workers or an options object, got ${describe(input)}`,
    );
  }
  rejectUnknownKeys('ThreadPoolExecutor', options as Record<string, unknown>, EXECUTOR_KEYS);
  const { maxWorkers, threadNamePrefix, ...rest } = options;
  let workers = Math.min(32, availableParallelism() + 4);
  if (maxWorkers !== undefined && maxWorkers !== null) {
    const expected = `Expected \`maxWorkers\` to be an integer greater than 0, got ${describe(maxWorkers)}`;
    if (typeof maxWorkers !== 'number') throw new TypeError(expected);
    if (!Number.isInteger(maxWorkers) || maxWorkers < 1) throw new RangeError(expected);
    workers = maxWorkers;
  }
  if (threadNamePrefix !== undefined && typeof threadNamePrefix !== 'string') {
    throw new TypeError(
      `Expected \`threadNamePrefix\` to be a string, got ${describe(threadNamePrefix)}`,
    );
  }
  const name = threadNamePrefix || `ThreadPoolExecutor-${executorCounter++}`;
  return { ...rest, workers, name };
}
