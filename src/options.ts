/**
 * Option types for the public classes, with their defaults, and the validation every public
 * entry runs synchronously before it touches any state. Messages say what was expected and what
 * was received.
 */
import { availableParallelism } from 'node:os';
import type { ResourceLimits, TransferListItem } from 'node:worker_threads';

/** Something `postMessage` can move instead of copy: an ArrayBuffer, a MessagePort… */
export type Transferable = TransferListItem;

/** A task function, or a reference made by `fromModule()`. */
export type TaskFunction<A extends unknown[] = never[], R = unknown> = (...args: A) => R;

export interface ThreadPoolOptions {
  /**
   * How many tasks may run at the same time (Python's `processes`).
   * @default os.availableParallelism()
   */
  workers?: number;
  /**
   * How many worker threads (V8 isolates) carry those tasks. `0` runs tasks on the main thread's
   * event loop (like Python's `multiprocessing.dummy`). Threads start lazily.
   * @default Math.min(workers, os.availableParallelism())
   */
  threads?: number;
  /** Runs once in each thread before it takes tasks; may be async. */
  initializer?: TaskFunction<never[], unknown>;
  /** Arguments for `initializer`. @default [] */
  initargs?: readonly unknown[];
  /**
   * How long a thread's initializer may take before the pool is declared broken.
   * @default 60000
   */
  initializerTimeout?: number;
  /** A thread is replaced after it has run this many tasks (Python's `maxtasksperchild`). @default undefined (never) */
  maxTasksPerThread?: number;
  /** Threads are named `${name}-${i}`. @default 'spindle' */
  name?: string;
  /** V8 heap limits for each thread (see `worker_threads.ResourceLimits`). */
  resourceLimits?: ResourceLimits;
  /** A thread with no work for this many milliseconds exits (it restarts when needed). @default Infinity */
  idleTimeout?: number;
}

export interface ResolvedPoolOptions {
  workers: number;
  threads: number;
  initializer: TaskFunction<never[], unknown> | undefined;
  initargs: readonly unknown[];
  initializerTimeout: number;
  maxTasksPerThread: number;
  name: string;
  resourceLimits: ResourceLimits | undefined;
  idleTimeout: number;
}

/** "`-1` (number)": how a received value is shown in error messages. */
export function describe(value: unknown): string {
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value);
  else if (typeof value === 'function') shown = value.name ? `function ${value.name}` : 'function';
  else if (typeof value === 'bigint') shown = `${value}n`;
  else if (typeof value === 'symbol') shown = value.toString();
  else if (value === null || typeof value !== 'object') shown = String(value);
  else if (Array.isArray(value)) shown = `array of ${value.length}`;
  else shown = value.constructor?.name ? `${value.constructor.name} object` : 'object';
  const type = value === null ? 'null' : typeof value;
  return `\`${shown}\` (${type})`;
}

export function expectInteger(what: string, value: unknown, min: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${what}\` to be an integer >= ${min}, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`Expected \`${what}\` to be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

function optionalInteger(what: string, value: unknown, min: number): number | undefined {
  return value === undefined ? undefined : expectInteger(what, value, min);
}

/**
 * Timeouts are milliseconds: a non-negative integer, or `Infinity`. `undefined` and `null`
 * mean "wait for ever"; `0` means "do not wait".
 */
/**
 * The longest delay a Node.js timer takes (about 24.8 days): past it, setTimeout() fires after
 * 1 ms instead. Longer timeouts mean "no timeout".
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The smallest thread stack accepted: Node.js crashes the process below about 0.25 MB. */
const MIN_STACK_SIZE_MB = 0.5;

/**
 * A timeout argument in milliseconds: a non-negative integer or Infinity (undefined and null mean
 * Infinity, no timeout). Past MAX_TIMER_MS it is Infinity too.
 */
export function expectTimeout(what: string, value: unknown): number {
  if (value === undefined || value === null || value === Number.POSITIVE_INFINITY) {
    return Number.POSITIVE_INFINITY;
  }
  const expected = `Expected \`${what}\` to be a non-negative integer number of milliseconds or Infinity, got ${describe(value)}`;
  if (typeof value !== 'number') throw new TypeError(expected);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(expected);
  return value > MAX_TIMER_MS ? Number.POSITIVE_INFINITY : value;
}

export function expectFunction(what: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new TypeError(`Expected \`${what}\` to be a function, got ${describe(value)}`);
  }
}

export function expectOptionalFunction(what: string, value: unknown): void {
  if (value !== undefined && value !== null) expectFunction(what, value);
}

export function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    value !== undefined &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  );
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    value !== undefined &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

export function expectIterable(what: string, value: unknown, allowAsync: boolean): void {
  if (isIterable(value) || (allowAsync && isAsyncIterable(value))) return;
  const kind = allowAsync ? 'an iterable or async iterable' : 'an iterable';
  throw new TypeError(`Expected \`${what}\` to be ${kind}, got ${describe(value)}`);
}

/** Objects that hold their data in internal slots: as options they would read as empty. */
function isBuiltinValue(value: object): boolean {
  return (
    value instanceof Map ||
    value instanceof Set ||
    value instanceof WeakMap ||
    value instanceof WeakSet ||
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Promise ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  );
}

export function expectPlainObject(what: string, value: unknown): Record<string, unknown> {
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    isBuiltinValue(value)
  ) {
    throw new TypeError(`Expected \`${what}\` to be an options object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

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
]);

export function rejectUnknownKeys(
  what: string,
  options: Record<string, unknown>,
  known: Set<string>,
): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new TypeError(
        `Unknown option \`${key}\` for ${what}; expected one of: ${[...known].join(', ')}`,
      );
    }
  }
}

export function expectArgsArray(what: string, value: unknown): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new TypeError(`Expected \`${what}\` to be an array of arguments, got ${describe(value)}`);
  }
  return value;
}

const NO_ARGS: readonly unknown[] = Object.freeze([]);

/**
 * A copy of an argument list, element by element, so that changing the caller's array after the
 * call changes nothing (the map forms copy their items the same way). Reading it runs the
 * caller's code when the array is a Proxy or has getters, and that code may throw: the caller
 * decides what a throw means (the call fails with it).
 */
export function copyArgs(args: readonly unknown[]): unknown[] {
  // A plain indexed read: `slice()` or `Array.from()` would consult `Symbol.species` or the
  // iterator, both of which a subclass or the caller can replace.
  const length = args.length;
  if (length === 0) return NO_ARGS as unknown[];
  const copy = new Array<unknown>(length);
  for (let i = 0; i < length; i++) copy[i] = args[i];
  return copy;
}

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
  };
}
