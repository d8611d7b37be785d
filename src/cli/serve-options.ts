/**
 * What {@link serve} (and `spindle worker`) is given, and what it returns: the public types of
 * the worker side of spindle/redis, and the option names serve() accepts.
 */
import type { RedisConnectionOptions } from '../redis/settings.js';

/**
 * The options of {@link serve} (and of `spindle worker`).
 * @example
 * ```ts
 * import type { ServeOptions } from 'spindle/redis';
 * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'] };
 * ```
 */
export interface ServeOptions {
  /**
   * Where Redis is (`--redis`): give this or `connection`.
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'] };
   * ```
   */
  url?: string;
  /**
   * Where Redis is, as fields: give this or `url`.
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { connection: { host: '10.0.0.5', port: 6379 }, queue: 'tasks', modules: ['./dist/tasks.js'] };
   * ```
   */
  connection?: RedisConnectionOptions;
  /**
   * The queue to serve (`--queue`): the one the clients name in `redis({ queue })`.
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'image-resize', modules: ['./dist/tasks.js'] };
   * ```
   */
  queue: string;
  /**
   * The task modules this worker runs (`--modules`): paths (relative to the current directory) or package names. Jobs naming other modules fail.
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js', '@acme/image-tasks'] };
   * ```
   */
  modules: readonly string[];
  /**
   * Task slots: how many tasks run at once (`--workers`); BullMQ takes a job only while one is free.
   * @default os.availableParallelism()
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'], workers: 64 };
   * ```
   */
  workers?: number;
  /**
   * Worker threads carrying the slots (`--threads`).
   * @default min(workers, os.availableParallelism())
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'], workers: 64, threads: 2 };
   * ```
   */
  threads?: number;
  /**
   * Run inline functions sent by clients (`--allow-inline`): whoever can write to the queue then runs code here.
   * @default false
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'], allowInline: true };
   * ```
   */
  allowInline?: boolean;
  /**
   * The directory module paths are named relative to (`--root`), as the clients' `root`.
   * @default process.cwd()
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'], root: '/srv/app' };
   * ```
   */
  root?: string | URL;
  /**
   * How long a graceful stop waits for the running tasks, in ms (`--grace`); past it they are stopped and their jobs go back to the queue, for another worker.
   * @default 10000
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'], grace: 30_000 };
   * ```
   */
  grace?: number;
  /**
   * How long the first connection to Redis may take, in ms (`--connect-timeout`).
   * @default 10000
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'], connectTimeout: 2000 };
   * ```
   */
  connectTimeout?: number;
  /**
   * How long a job's lock lasts without renewal, in ms (`--lock-ms`): the jobs of a worker that died go back to the queue after about this.
   * @default 10000
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'], lockDuration: 5000 };
   * ```
   */
  lockDuration?: number;
  /**
   * How often jobs of dead workers are looked for, in ms.
   * @default 5000
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'], stalledInterval: 2000 };
   * ```
   */
  stalledInterval?: number;
  /**
   * Where it says what it does (one line at start).
   * @default a line on stdout
   * @example
   * ```ts
   * import type { ServeOptions } from 'spindle/redis';
   * const options: ServeOptions = { url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'], log: (line) => console.log(line) };
   * ```
   */
  log?: (line: string) => void;
}

/**
 * A running worker, as {@link serve} returns it.
 * @example
 * ```ts
 * import type { Server } from 'spindle/redis';
 * function stopOnSigterm(server: Server): void {
 *   process.once('SIGTERM', () => void server.close());
 * }
 * ```
 */
export interface Server {
  /**
   * The module references it serves (what clients' jobs name).
   * @example
   * ```ts
   * import type { Server } from 'spindle/redis';
   * const describe = (server: Server): string => `serving ${server.served.join(', ')}`;
   * ```
   */
  readonly served: readonly string[];
  /**
   * Stops taking jobs, lets the running tasks finish within `grace` (then gives their jobs back
   * to the queue), and resolves once stopped.
   * @example
   * ```ts
   * import type { Server } from 'spindle/redis';
   * function stopOnSigterm(server: Server): void {
   *   process.once('SIGTERM', () => void server.close());
   * }
   * ```
   */
  close(): Promise<void>;
}

/** The options serve() knows: any other is a TypeError. */
export const SERVE_KEYS = new Set([
  'url',
  'connection',
  'queue',
  'modules',
  'workers',
  'threads',
  'allowInline',
  'root',
  'grace',
  'connectTimeout',
  'lockDuration',
  'stalledInterval',
  'log',
]);
