/**
 * The options of `redis()`, checked when the backend is made (a URL that does not parse, a queue
 * name Redis keys should not hold, an unknown option: a TypeError or RangeError at once), and
 * the settings the carrier and the worker share.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  describe,
  expectDuration,
  expectInteger,
  expectPlainObject,
  rejectUnknownKeys,
} from '../options/validate.js';
import { QUEUE_NAME, safeUrl } from './wire.js';

/**
 * Where Redis is, as fields (for ioredis); `url` is the other way to say it.
 * @example
 * ```ts
 * import { redis } from 'spindle/redis';
 * const backend = redis({ connection: { host: '10.0.0.5', port: 6379, password: 'secret' }, queue: 'tasks' });
 * ```
 */
export interface RedisConnectionOptions {
  /**
   * The host name or address. @default '127.0.0.1'
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ connection: { host: 'redis.internal' }, queue: 'tasks' });
   * ```
   */
  host?: string;
  /**
   * The port. @default 6379
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ connection: { host: 'redis.internal', port: 6380 }, queue: 'tasks' });
   * ```
   */
  port?: number;
  /**
   * The ACL user name.
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ connection: { username: 'spindle', password: 'secret' }, queue: 'tasks' });
   * ```
   */
  username?: string;
  /**
   * The password (hidden in messages).
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ connection: { password: 'secret' }, queue: 'tasks' });
   * ```
   */
  password?: string;
  /**
   * The database number. @default 0
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ connection: { db: 2 }, queue: 'tasks' });
   * ```
   */
  db?: number;
  /**
   * TLS options (Node's `tls.connect` options); `{}` for TLS with the defaults.
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ connection: { host: 'redis.example.com', tls: {} }, queue: 'tasks' });
   * ```
   */
  tls?: Record<string, unknown>;
}

/** The options of `redis()`. */
export interface RedisBackendOptions {
  /**
   * Where Redis is: `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). Give this or
   * `connection`.
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ url: 'redis://127.0.0.1:6379', queue: 'tasks' });
   * ```
   */
  url?: string;
  /**
   * Where Redis is, as fields. Give this or `url`.
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ connection: { host: '10.0.0.5', port: 6379 }, queue: 'tasks' });
   * ```
   */
  connection?: RedisConnectionOptions;
  /**
   * The BullMQ queue the workers serve (`spindle worker --queue NAME`): letters, digits, `_`,
   * `-` and `.`.
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ url: 'redis://127.0.0.1:6379', queue: 'image-resize' });
   * ```
   */
  queue: string;
  /**
   * The directory task-module paths are taken relative to, on this side; the workers name theirs
   * with `--root` (both default to the directory the process runs from). A module at
   * `<root>/dist/tasks.js` here is `<worker root>/dist/tasks.js` there.
   * @default process.cwd()
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ url: 'redis://127.0.0.1:6379', queue: 'tasks', root: new URL('..', import.meta.url) });
   * ```
   */
  root?: string | URL;
  /**
   * Send inline functions (their source) to the workers, which run them only if started with
   * `--allow-inline`. Off by default: whoever can write to the queue runs what the workers allow.
   * @default false
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ url: 'redis://127.0.0.1:6379', queue: 'tasks', allowInline: true });
   * ```
   */
  allowInline?: boolean;
  /**
   * How long the first connection to Redis may take, in ms: past it every task of the pool fails
   * (BrokenPoolError) with an error that says Redis cannot be reached.
   * @default 10000
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ url: 'redis://127.0.0.1:6379', queue: 'tasks', connectTimeout: 2000 });
   * ```
   */
  connectTimeout?: number;
  /**
   * How long Redis may stay unreachable once connected, in ms, before the tasks sent to it fail
   * (WorkerExitError); while it is back within this time, the tasks it lost are queued again.
   * @default 30000
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ url: 'redis://127.0.0.1:6379', queue: 'tasks', reconnectTimeout: 60_000 });
   * ```
   */
  reconnectTimeout?: number;
  /**
   * The largest job, in bytes of serialized arguments: a task whose arguments take more fails
   * alone with a RangeError (pass large data by reference: a key, a path, a URL).
   * @default 16 MiB
   * @example
   * ```ts
   * import { redis } from 'spindle/redis';
   * const backend = redis({ url: 'redis://127.0.0.1:6379', queue: 'tasks', maxJobBytes: 1 << 20 });
   * ```
   */
  maxJobBytes?: number;
}

/** The options, checked and filled in. */
export interface RedisSettings {
  url: string | undefined;
  connection: RedisConnectionOptions | undefined;
  queue: string;
  root: string;
  allowInline: boolean;
  connectTimeout: number;
  reconnectTimeout: number;
  maxJobBytes: number;
  /** "redis queue "tasks" at redis://127.0.0.1:6379/" (password hidden). */
  description: string;
}

const KEYS = new Set([
  'url',
  'connection',
  'queue',
  'root',
  'allowInline',
  'connectTimeout',
  'reconnectTimeout',
  'maxJobBytes',
]);

/** Checks a Redis URL: a TypeError that says what was expected and what came. */
export function expectRedisUrl(value: unknown, what = 'url'): string {
  const expected = `Expected \`${what}\` to be a redis:// or rediss:// URL such as redis://127.0.0.1:6379`;
  if (typeof value !== 'string') throw new TypeError(`${expected}, got ${describe(value)}`);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new TypeError(`${expected}, got ${JSON.stringify(value)}, which does not parse`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`${expected}, got ${JSON.stringify(safeUrl(value))}`);
  }
  return value;
}

/** Checks a queue name: letters, digits, `_`, `-`, `.` (Redis keys are made of it). */
export function expectQueueName(value: unknown, what = 'queue'): string {
  if (typeof value !== 'string') {
    throw new TypeError(
      `Expected \`${what}\` to be a queue name (a string), got ${describe(value)}`,
    );
  }
  if (!QUEUE_NAME.test(value)) {
    throw new RangeError(
      `Expected \`${what}\` to be 1 to 100 letters, digits, '_', '-' or '.' (it becomes part of Redis keys), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function resolveRoot(value: unknown, what = 'root'): string {
  if (value === undefined) return process.cwd();
  if (value instanceof URL && value.protocol === 'file:') return fileURLToPath(value);
  if (typeof value === 'string' && value !== '') {
    return value.startsWith('file:') ? fileURLToPath(value) : resolve(value);
  }
  throw new TypeError(
    `Expected \`${what}\` to be a directory path or a file: URL, got ${describe(value)}`,
  );
}

export function resolveRedisOptions(input: unknown): RedisSettings {
  const raw = expectPlainObject('redis() options', input);
  rejectUnknownKeys('redis()', raw, KEYS);
  const options = raw as unknown as RedisBackendOptions;
  const hasUrl = options.url !== undefined;
  const hasConnection = options.connection !== undefined;
  if (hasUrl === hasConnection) {
    throw new TypeError(
      `Expected redis() to be given one of \`url\` and \`connection\`, got ${hasUrl ? 'both' : 'neither'}`,
    );
  }
  const url = hasUrl ? expectRedisUrl(options.url) : undefined;
  const connection = hasConnection
    ? ({ ...expectPlainObject('connection', options.connection) } as RedisConnectionOptions)
    : undefined;
  const queue = expectQueueName(options.queue);
  if (options.allowInline !== undefined && typeof options.allowInline !== 'boolean') {
    throw new TypeError(
      `Expected \`allowInline\` to be a boolean, got ${describe(options.allowInline)}`,
    );
  }
  const where = url
    ? safeUrl(url)
    : `${connection?.host ?? '127.0.0.1'}:${connection?.port ?? 6379}`;
  return {
    url,
    connection,
    queue,
    root: resolveRoot(options.root),
    allowInline: options.allowInline ?? false,
    connectTimeout:
      options.connectTimeout === undefined
        ? 10_000
        : expectDuration('connectTimeout', options.connectTimeout),
    reconnectTimeout:
      options.reconnectTimeout === undefined
        ? 30_000
        : expectDuration('reconnectTimeout', options.reconnectTimeout),
    maxJobBytes:
      options.maxJobBytes === undefined
        ? 16 * 1024 * 1024
        : expectInteger('maxJobBytes', options.maxJobBytes, 1),
    description: `redis queue ${JSON.stringify(queue)} at ${where}`,
  };
}
