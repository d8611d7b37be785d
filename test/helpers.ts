// Helpers of the test suites: hard timeouts, rejections, inputs that record how far they were
// read, live worker handles; and for the executor's tests, events and counters that cross threads
// (task functions cannot read the test's variables, so they get a SharedArrayBuffer as an
// argument), garbage collection, and ready-made futures in each state (CPython's PENDING_FUTURE,
// SUCCESSFUL_FUTURE…).
import { createHook } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { test as nodeTest } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { deserialize, serialize, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  Future,
  ProcessPool,
  ProcessPoolExecutor,
  ThreadPool,
  ThreadPoolExecutor,
  type ThreadPoolExecutorOptions,
  type ThreadPoolOptions,
} from 'spindle';

export { delay };

/** Every test gets a hard timeout, so a hang fails the test instead of the suite. */
export const T = { timeout: 30_000 };

/** Awaits a promise expected to reject, returning the rejection reason. */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** A sync generator that records how far it was read, and throws at `throwAt` if given. */
export function* counting(state: { read: number }, limit = Number.POSITIVE_INFINITY, throwAt = -1) {
  for (let i = 0; i < limit; i++) {
    if (i === throwAt) throw new Error(`input failed at ${i}`);
    state.read = i + 1;
    yield i;
  }
}

/** Counts live Worker handles (Node 20's getActiveResourcesInfo does not list them). */
export function workerTracker(): { live(): number; settle(expected: number): Promise<number> } {
  const live = new Set<number>();
  createHook({
    init(id, type) {
      if (type === 'WORKER') live.add(id);
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  return {
    live: () => live.size,
    async settle(expected) {
      for (let i = 0; i < 100 && live.size !== expected; i++) await delay(20);
      return live.size;
    },
  };
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Runs the garbage collector a few times, letting finalizers and microtasks run between. */
export async function gc(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await delay(5);
  }
}

/** `Atomics.waitAsync` (Node 16+), not yet in TypeScript's ES2023 library. */
export interface AtomicsWithWaitAsync {
  waitAsync(
    array: Int32Array,
    index: number,
    value: number,
  ): { async: false; value: string } | { async: true; value: Promise<string> };
}

/**
 * Python's `threading.Event` across threads: `event.sab` goes to a task as an argument; the task
 * awaits `waitEvent(sab)` (without blocking its thread), the test calls `event.set()`.
 */
export class Event {
  readonly sab = new SharedArrayBuffer(4);

  set(): void {
    const cell = new Int32Array(this.sab);
    Atomics.store(cell, 0, 1);
    Atomics.notify(cell, 0);
  }
}

/** Task function: waits (asynchronously) until the event is set. Returns `result`. */
export async function waitEvent(sab: SharedArrayBuffer, result: unknown = null): Promise<unknown> {
  const cell = new Int32Array(sab);
  while (Atomics.load(cell, 0) === 0) {
    const waiting = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(cell, 0, 0);
    if (waiting.async) await waiting.value;
  }
  return result;
}

/** Task function: waits for the event, then throws. */
export async function waitAndRaise(sab: SharedArrayBuffer): Promise<never> {
  const cell = new Int32Array(sab);
  while (Atomics.load(cell, 0) === 0) {
    const waiting = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(cell, 0, 0);
    if (waiting.async) await waiting.value;
  }
  throw new Error('this is an exception');
}

/** Counters shared with tasks: `counters.sab` as an argument, `bump(sab, i)` in the task. */
export class Counters {
  readonly sab: SharedArrayBuffer;
  readonly #cells: Int32Array;

  constructor(size: number) {
    this.sab = new SharedArrayBuffer(4 * size);
    this.#cells = new Int32Array(this.sab);
  }

  get(i: number): number {
    return Atomics.load(this.#cells, i);
  }

  all(): number[] {
    return Array.from(this.#cells);
  }
}

/** Task-side half of Counters. */
export function bump(sab: SharedArrayBuffer, i: number): number {
  return Atomics.add(new Int32Array(sab), i, 1) + 1;
}

export function mul(x: number, y: number): number {
  return x * y;
}

export async function sleep(ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

/** Python's divmod, with its ZeroDivisionError. */
export function divmod(a: number, b: number): [number, number] {
  if (b === 0) {
    const error = new RangeError('integer division or modulo by zero');
    error.name = 'ZeroDivisionError';
    throw error;
  }
  return [Math.floor(a / b), a - Math.floor(a / b) * b];
}

/** Polls `condition` every few ms until it holds, or fails after `ms`. */
export async function until(
  condition: () => boolean,
  ms = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(2);
  }
}

/** Futures in each state, made by hand as CPython's tests do (`create_future`). */
export function pendingFuture(): Future<number> {
  return new Future<number>();
}

export function runningFuture(): Future<number> {
  const future = new Future<number>();
  future.setRunningOrNotifyCancel();
  return future;
}

export function cancelledFuture(): Future<number> {
  const future = new Future<number>();
  future.cancel();
  return future;
}

export function exceptionFuture(): Future<number> {
  const future = new Future<number>();
  const error = new Error('OSError');
  error.name = 'OSError';
  future.setException(error);
  return future;
}

export function successfulFuture(): Future<number> {
  const future = new Future<number>();
  future.setResult(42);
  return future;
}

/** Runs an ES module script in a fresh `node` (resolving 'spindle' from this package). */
export function runScript(script: string, timeout = 15_000) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout,
    cwd: new URL('..', import.meta.url),
  });
}

/**
 * The kinds of carrier the shared suites run against: worker threads, and child processes (a
 * ProcessPool has ThreadPool's whole API). `pool()` and `executor()` take the thread classes'
 * options and give the process classes theirs (`threads` → `processes`, `maxTasksPerThread` →
 * `maxTasksPerProcess`). Task functions cannot share memory with a child process: tests that
 * pass a SharedArrayBuffer to a task are registered with `sharedMemoryTest`, which runs them on
 * threads only.
 */
export interface Host {
  name: 'threads' | 'processes';
  /** Whether tasks can be given a SharedArrayBuffer (Event, Counters). */
  sharesMemory: boolean;
  /** The pool class's name, for scripts run in a fresh `node`. */
  poolClass: 'ThreadPool' | 'ProcessPool';
  executorClass: 'ThreadPoolExecutor' | 'ProcessPoolExecutor';
  pool(options?: number | ThreadPoolOptions): ThreadPool;
  executor(options?: number | ThreadPoolExecutorOptions): ThreadPoolExecutor;
  /** `test`, on hosts that share memory with tasks; registers nothing on the others. */
  sharedMemoryTest: typeof nodeTest | ((...args: unknown[]) => void);
}

function forProcesses<O extends object>(options: number | O | undefined): unknown {
  if (options === undefined || typeof options !== 'object') return options;
  const { threads, maxTasksPerThread, threadNamePrefix, ...rest } = options as Record<
    string,
    unknown
  >;
  return {
    ...rest,
    ...(threads === undefined ? {} : { processes: threads }),
    ...(maxTasksPerThread === undefined ? {} : { maxTasksPerProcess: maxTasksPerThread }),
    ...(threadNamePrefix === undefined ? {} : { processNamePrefix: threadNamePrefix }),
  };
}

export const hosts: Host[] = [
  {
    name: 'threads',
    sharesMemory: true,
    poolClass: 'ThreadPool',
    executorClass: 'ThreadPoolExecutor',
    pool: (options) => new ThreadPool(options),
    executor: (options) => new ThreadPoolExecutor(options),
    sharedMemoryTest: nodeTest,
  },
  {
    name: 'processes',
    sharesMemory: false,
    poolClass: 'ProcessPool',
    executorClass: 'ProcessPoolExecutor',
    pool: (options) => new ProcessPool(forProcesses(options) as never),
    executor: (options) => new ProcessPoolExecutor(forProcesses(options) as never),
    sharedMemoryTest: () => {},
  },
];

/** An object nested `depth` deep. */
export function nested(depth: number): object {
  let value: object = {};
  for (let i = 0; i < depth; i++) value = { value };
  return value;
}

/** A depth whose objects V8 serializes but cannot deserialize on this thread's stack. */
export function unreadableDepth(): number {
  for (let depth = 500; depth < 50_000; depth += 250) {
    let bytes: Uint8Array;
    try {
      bytes = serialize([nested(depth)]);
    } catch {
      break;
    }
    try {
      deserialize(bytes);
    } catch {
      return depth;
    }
  }
  throw new Error('no depth that serializes but does not deserialize on this stack');
}
