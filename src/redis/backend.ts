/**
 * `redis()`: the backend whose tasks run on the `spindle worker` processes that serve a BullMQ
 * queue. Its kind of carrier (threads/host.ts HostKind) is one RedisCarrier holding the pool's
 * `workers` task slots; only task-module references go (inline functions only when asked).
 */

import { serialize } from 'node:v8';
import type { ResolvedPoolOptions } from '../options/types.js';
import { type Backend, type BackendKit, HOST_KIND } from '../threads/backend.js';
import type { HostKind } from '../threads/host.js';
import { RedisCarrier } from './carrier.js';
import { moduleReference } from './module-refs.js';
import { type RedisBackendOptions, type RedisSettings, resolveRedisOptions } from './settings.js';
import type { JobInit } from './wire.js';

/**
 * The pool's initializer as its jobs carry it: a worker runs it (once per thread of the pool it
 * keeps for this client) before the client's first task there. Throws for `initargs` that cannot
 * be serialized or are too large, before anything is sent.
 */
function jobInit(
  options: ResolvedPoolOptions,
  settings: RedisSettings,
  kit: BackendKit,
): JobInit | undefined {
  if (!options.initializer) return undefined;
  const def = kit.functionRecord(options.initializer, 'initializer').def;
  let args: Buffer;
  try {
    args = serialize(options.initargs);
  } catch (error) {
    throw new TypeError(
      `Expected \`initargs\` to be values that can be copied to the workers (structured clone), but one cannot: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (args.byteLength > settings.maxJobBytes) {
    throw new RangeError(
      `The initargs take ${args.byteLength} bytes serialized, more than the redis backend's maxJobBytes (${settings.maxJobBytes}); every job carries them: pass large data by reference (a key, a path, a URL)`,
    );
  }
  return {
    fn:
      def.kind === 'module'
        ? { module: moduleReference(def.url, settings.root), exportName: def.exportName }
        : { source: def.source, name: def.name },
    args: args.toString('base64'),
    timeout: options.initializerTimeout,
  };
}

function redisHost(settings: RedisSettings, kit: BackendKit): HostKind {
  return {
    carriers: () => 1,
    start: (reports, spec, options) =>
      new RedisCarrier(
        reports,
        { ...spec, quota: options.workers },
        settings,
        jobInit(options, settings, kit),
      ),
    record(fn, what = 'fn') {
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
 * once and settles exactly once. The pool's `initializer` (a task-module reference) runs on each
 * worker once per thread of the local pool it keeps for this pool; a worker where it fails gives
 * the jobs back to the others, and the pool breaks (`BrokenPoolError`) only when every live
 * worker has failed it. Throws a TypeError or RangeError for bad options; Redis itself is reached
 * at the pool's first call.
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
