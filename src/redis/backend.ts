/**
 * `redis()`: the backend whose tasks run on the `spindle worker` processes that serve a BullMQ
 * queue. Its kind of carrier (threads/host.ts HostKind) is one RedisCarrier holding the pool's
 * `workers` task slots; only task-module references go (inline functions only when asked).
 */
import { type Backend, type BackendKit, HOST_KIND } from '../threads/backend.js';
import type { HostKind } from '../threads/host.js';
import { RedisCarrier } from './carrier.js';
import { type RedisBackendOptions, type RedisSettings, resolveRedisOptions } from './settings.js';

function redisHost(settings: RedisSettings, kit: BackendKit): HostKind {
  return {
    carriers: () => 1,
    start: (reports, spec, options) =>
      new RedisCarrier(reports, { ...spec, quota: options.workers }, settings),
    record(fn, what = 'fn') {
      if (what === 'initializer') {
        throw new TypeError(
          `The ${settings.description} runs no \`initializer\` of the pool: each \`spindle worker\` runs its task modules' top-level code when it loads them; put what should run once per worker there`,
        );
      }
      if (typeof fn === 'function' && !kit.isModuleReference(fn) && !settings.allowInline) {
        throw new TypeError(
          `Expected \`${what}\` to be a task-module reference (fromModule()) for the ${settings.description}, got an inline function${fn.name ? ` (${fn.name})` : ''}. ` +
            'Export it from a task module the workers serve (spindle worker --modules), or, if the workers run with --allow-inline, pass `allowInline: true` to redis()',
        );
      }
      return kit.functionRecord(fn, what);
    },
    copiesValues: true,
    // Aborted tasks are stopped by the worker's own pool (its abortGrace), not by stopping this
    // carrier, which holds every task of the pool.
    isolated: false,
  };
}

/**
 * A backend that runs a pool's tasks on the machines serving a Redis queue (BullMQ), for the
 * `backend` option of `ThreadPool` and `ThreadPoolExecutor`. Start workers with
 * `npx spindle worker --redis URL --queue NAME --modules ./dist/tasks.js`. Only task-module
 * references are sent (inline functions only with `allowInline`, to workers started with
 * `--allow-inline`); values cross by V8 serialization (structured clone). A task runs at least
 * once and settles exactly once. Throws a TypeError or RangeError for bad options; Redis itself
 * is reached at the pool's first call.
 * @example
 * ```ts
 * import { fromModule, ThreadPool } from 'spindle';
 * import { redis } from 'spindle/redis';
 * const tasks = fromModule<typeof import('./tasks.js')>('./tasks.js');
 * await using pool = new ThreadPool({
 *   workers: 64,
 *   backend: redis({ url: 'redis://127.0.0.1:6379', queue: 'tasks' }),
 * });
 * // With `spindle worker --queue tasks --modules ./tasks.js` running somewhere:
 * // console.log(await pool.map(tasks.square, [1, 2, 3])); // [1, 4, 9], computed by the workers
 * console.log(pool.workers, typeof tasks.square); // 64 'function'
 * ```
 */
export function redis(options: RedisBackendOptions): Backend {
  const settings = resolveRedisOptions(options);
  const backend: Backend = { description: settings.description };
  Object.defineProperty(backend, HOST_KIND, {
    value: (kit: BackendKit) => redisHost(settings, kit),
  });
  return Object.freeze(backend);
}
