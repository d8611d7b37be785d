/**
 * A backend: where a pool's tasks run when not on this process's threads (a remote queue, say).
 * It is an object made by a backend factory (`redis()` of `spindle/redis`) that carries the
 * pool's kind of carrier (a HostKind, host.ts) under a registered symbol, so that a backend made
 * by another copy of spindle (a separate bundle such as `spindle/redis`) is recognized here, and
 * the core package never loads what the backend needs.
 */
import type { FunctionRecord } from '../functions/functions.js';
import { describe } from '../options/validate.js';

/**
 * What a backend's kind of carrier takes from the spindle that runs the pool: a backend bundled
 * apart has its own copies of spindle's modules, and a `fromModule()` reference is known only to
 * the copy that made it.
 */
export interface BackendKit {
  functionRecord(fn: unknown, what?: string): FunctionRecord;
  isModuleReference(fn: object): boolean;
}

/** The registered symbol under which a backend holds the maker of its kind of carrier. */
export const HOST_KIND: unique symbol = Symbol.for('spindle.hostKind') as never;

/**
 * Where a pool's tasks run instead of this process's worker threads, for the `backend` option of
 * `ThreadPool` and `ThreadPoolExecutor`. Made by a backend factory, such as `redis()` of
 * `spindle/redis`; not made by hand.
 * @example
 * ```ts
 * import { ThreadPool } from 'spindle';
 * import { redis } from 'spindle/redis';
 * const backend = redis({ url: 'redis://127.0.0.1:6379', queue: 'tasks' });
 * await using pool = new ThreadPool({ workers: 64, backend });
 * ```
 */
export interface Backend {
  /**
   * What it is, in words (for messages).
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * console.log(redis({ url: 'redis://127.0.0.1:6379', queue: 'tasks' }).description);
   * // redis queue "tasks" at redis://127.0.0.1:6379
   * ```
   */
  readonly description: string;
  // It also holds, under HOST_KIND, the maker of its kind of carrier (a function taking a
  // BackendKit): checked at run time (isBackend), kept out of the public type.
}

/** A backend as the engine reads it. */
interface BackendWithHost extends Backend {
  readonly [HOST_KIND]: unknown;
}

/** The maker of the backend's kind of carrier (see BackendKit). */
export function hostMakerOf(backend: Backend): unknown {
  return (backend as BackendWithHost)[HOST_KIND];
}

/** Whether a value is a backend made by a backend factory. */
export function isBackend(value: unknown): value is Backend {
  return (
    value !== null &&
    typeof value === 'object' &&
    HOST_KIND in value &&
    typeof (value as BackendWithHost)[HOST_KIND] === 'function'
  );
}

/** The `backend` option, checked: undefined, or a backend (else a TypeError that says what it is). */
export function expectBackend(value: unknown): Backend | undefined {
  if (value === undefined) return undefined;
  if (isBackend(value)) return value;
  throw new TypeError(
    "Expected `backend` to be a backend made by a backend factory (such as `redis({ url, queue })` of 'spindle/redis'), " +
      `got ${describe(value)}`,
  );
}
