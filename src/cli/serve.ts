/**
 * `spindle worker`'s work, also callable from a program: a local spindle pool fed by a BullMQ
 * queue. BullMQ's Worker takes a job only while one of the pool's task slots is free
 * (concurrency = workers); each job's task runs on the pool (local-runner.ts), and what it
 * reports (started, progress, outcome) is pushed onto its client's results list. A job whose
 * client is gone (its liveness key expired) is dropped without running.
 */
import { deserialize } from 'node:v8';
import { Engine } from '../engine/engine.js';
import { fromModule } from '../functions/functions.js';
import { resolvePoolOptions } from '../options/resolve.js';
import { describe, expectDuration, optionalInteger } from '../options/validate.js';
import { deserializeError } from '../protocol/errors.js';
import { Outcome, TaskFlags } from '../protocol/messages.js';
import {
  type BullJob,
  type BullWorker,
  loadDrivers,
  makeClient,
  type RedisClient,
  within,
} from '../redis/drivers.js';
import { servedModule } from '../redis/module-refs.js';
import { encodeOutcome } from '../redis/outcome-codec.js';
import {
  expectQueueName,
  expectRedisUrl,
  type RedisConnectionOptions,
  resolveRoot,
} from '../redis/settings.js';
import {
  abortChannel,
  aliveKey,
  encodeNote,
  isJobData,
  Note,
  RESULTS_TTL_MS,
  resultsKey,
  safeUrl,
} from '../redis/wire.js';
import { ClientPools } from './client-pools.js';
import { LocalRunner, type ServedTasks } from './local-runner.js';
import { WorkerRegistry } from './worker-registry.js';

/** How long a slot rests after giving back a job it cannot run, so that it does not spin on it. */
const GIVE_BACK_PAUSE_MS = 250;

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

const SERVE_KEYS = new Set([
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

/**
 * Serves a queue: runs the tasks that `redis()`-backed pools send to it on a local pool, until
 * `close()`. Rejects (nothing started) for bad options, a module that does not exist or does not
 * load, or a Redis that cannot be reached within `connectTimeout`.
 * @example
 * ```ts
 * import { serve } from 'spindle/redis';
 * const server = await serve({ url: 'redis://127.0.0.1:6379', queue: 'tasks', modules: ['./dist/tasks.js'] });
 * console.log(server.served); // ['./dist/tasks.js']
 * await server.close(); // or on SIGTERM
 * ```
 */
export async function serve(options: ServeOptions): Promise<Server> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected serve() to be given an options object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!SERVE_KEYS.has(key)) throw new TypeError(`Unknown serve() option \`${key}\``);
  }
  const url = options.url === undefined ? undefined : expectRedisUrl(options.url);
  if ((url === undefined) === (options.connection === undefined)) {
    throw new TypeError('Expected serve() to be given one of `url` and `connection`');
  }
  const queue = expectQueueName(options.queue);
  const root = resolveRoot(options.root);
  if (!Array.isArray(options.modules) || options.modules.length === 0) {
    throw new TypeError(
      `Expected \`modules\` to be a non-empty list of task modules to serve, got ${describe(options.modules)}`,
    );
  }
  const modules = options.modules.map((entry) => {
    if (typeof entry !== 'string' || entry === '') {
      throw new TypeError(
        `Expected each of \`modules\` to be a path or a package name, got ${describe(entry)}`,
      );
    }
    return servedModule(entry, root);
  });
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const grace = options.grace === undefined ? 10_000 : expectDuration('grace', options.grace);
  const connectTimeout =
    options.connectTimeout === undefined
      ? 10_000
      : expectDuration('connectTimeout', options.connectTimeout);
  const lockDuration = optionalInteger('lockDuration', options.lockDuration, 100) ?? 10_000;
  const stalledInterval = optionalInteger('stalledInterval', options.stalledInterval, 100) ?? 5_000;
  const poolOptions = resolvePoolOptions(
    { workers: options.workers, threads: options.threads, name: `spindle-worker-${queue}` },
    'serve()',
  );
  const allowInline = options.allowInline ?? false;

  // Each module is loaded once here: one that does not load stops the worker before it serves.
  const served: ServedTasks[] = [];
  const exportsOf: string[] = [];
  for (const module of modules) {
    let loaded: Record<string, unknown>;
    try {
      loaded = (await import(module.url)) as Record<string, unknown>;
    } catch (error) {
      throw new Error(
        `The task module ${module.reference} could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const names = Object.keys(loaded).filter((name) => typeof loaded[name] === 'function');
    exportsOf.push(`${module.reference} (${names.join(', ') || 'no functions'})`);
    served.push({ reference: module.reference, tasks: fromModule(module.url) });
  }

  const drivers = await loadDrivers();
  const target = { url, connection: options.connection };
  const where = url
    ? safeUrl(url)
    : `${options.connection?.host ?? '127.0.0.1'}:${options.connection?.port ?? 6379}`;
  let lastError: Error | undefined;
  const onError = (error: Error): void => {
    lastError = error;
  };
  const commands = makeClient(drivers, target, 'spindle-worker', onError);
  const subscriber = makeClient(drivers, target, 'spindle-worker-aborts', onError);
  const workerConnection = makeClient(drivers, target, 'spindle-worker-jobs', onError);
  const clients = [commands, subscriber, workerConnection];
  try {
    await within(commands.ping(), connectTimeout, () => {
      const why = lastError ? `: ${lastError.message}` : '';
      return new Error(`Cannot reach Redis at ${where} within ${connectTimeout} ms${why}`);
    });
  } catch (error) {
    for (const client of clients) client.disconnect();
    throw error;
  }

  const liveness = new ClientLiveness(commands, queue);
  const engine = new Engine(poolOptions, (error) =>
    log(`spindle worker: a callback failed: ${String(error)}`),
  );
  const runner = new LocalRunner(engine, served, allowInline);
  const pools = new ClientPools(poolOptions, runner, (error) =>
    log(`spindle worker: a callback failed: ${String(error)}`),
  );
  const registry = new WorkerRegistry(commands, queue);
  await registry.renew();
  // The pools of clients that are gone stop; their failures are forgotten.
  const sweeper = setInterval(() => {
    for (const client of pools.clients()) {
      liveness.alive(client).then(
        (alive) => {
          if (!alive) pools.forget(client);
        },
        () => {},
      );
    }
  }, 5000);
  sweeper.unref();
  const aborts = new AbortWatch();
  await subscriber.subscribe(abortChannel(queue));
  subscriber.on('message', (_channel: string, message: string) => aborts.received(message));

  /** Past the grace of a stop: the tasks still running are stopped and their jobs given back. */
  let givingBack = false;
  const processor = async (job: BullJob, token?: string): Promise<void> => {
    const data: unknown = job.data;
    // Not a spindle client's job (anyone may write to the queue): dropped, nobody waits for it.
    if (!isJobData(data)) {
      log(`spindle worker: job ${String(job.id)} is not a spindle task: dropped`);
      return;
    }
    if (!(await liveness.alive(data.client))) return; // Its client is gone.
    const key = resultsKey(queue, data.client);
    const push = (note: unknown[]): Promise<unknown> =>
      commands.multi().rpush(key, encodeNote(note)).pexpire(key, RESULTS_TTL_MS).exec();
    const giveBack = async (): Promise<never> => {
      await job.moveToWait(token);
      await new Promise((resolve) => setTimeout(resolve, GIVE_BACK_PAUSE_MS));
      throw drivers.givenBack();
    };
    let engine: Engine | undefined;
    if (data.init) {
      const pool = pools.poolFor({ ...data, init: data.init });
      if (pool.engine === undefined) {
        // Its initializer cannot run here (said once, when found): another worker's job.
        if (pool.fresh) {
          log(
            `spindle worker: the initializer of client ${data.client} cannot run here; its jobs go to other workers: ${String(pool.failure)}`,
          );
        }
        await registry.initFailed(data.client, pool.failure, pool.fresh).catch(() => {});
        return giveBack();
      }
      engine = pool.engine;
    }
    if (data.mode & TaskFlags.Timed) await push([Note.Started, data.seq]);
    const id = job.id as string;
    const controller = aborts.track(id);
    try {
      const [outcome, value] = await runner.run(
        data,
        {
          signal: controller.signal,
          onProgress: (progress) => {
            push([Note.Progress, data.seq, progress]).catch((error: unknown) => {
              log(
                `spindle worker: a progress value of job ${id} could not be sent: ${String(error)}`,
              );
            });
          },
        },
        engine,
      );
      if (givingBack) {
        // Stopped by this worker's own stop, not by its client: another worker runs it.
        await job.moveToWait(token);
        throw drivers.givenBack();
      }
      if (engine && outcome === Outcome.Error && pools.isBroken(engine)) {
        // The client's initializer failed on one of this pool's threads: not the task's doing.
        const failed = pools.initFailure(data.client, engine);
        if (failed) {
          log(
            `spindle worker: the initializer of client ${data.client} failed here; its jobs go to other workers: ${String(failed.error)}`,
          );
          await registry.initFailed(data.client, failed.error, true).catch(() => {});
        }
        return await giveBack();
      }
      await push([Note.Result, data.seq, ...encodeOutcome(outcome, value)]);
    } finally {
      aborts.untrack(id);
    }
  };

  const worker: BullWorker = new drivers.Worker(queue, processor, {
    connection: workerConnection,
    concurrency: poolOptions.workers,
    lockDuration,
    stalledInterval,
    maxStalledCount: 100,
    autorun: true,
  });
  worker.on('error', onError);
  // A job that failed inside BullMQ (not a task error, which is an outcome): its client hears.
  worker.on('failed', (job: BullJob | undefined, error: Error) => {
    const data: unknown = job?.data;
    if (!isJobData(data)) return;
    const key = resultsKey(queue, data.client);
    const note = [Note.Result, data.seq, ...encodeOutcome(Outcome.Error, error)];
    commands
      .multi()
      .rpush(key, encodeNote(note))
      .pexpire(key, RESULTS_TTL_MS)
      .exec()
      .catch(() => {});
  });
  log(
    `spindle worker: serving queue ${JSON.stringify(queue)} at ${where} with ${poolOptions.workers} task slots on ${poolOptions.threads} threads` +
      `${allowInline ? ', inline functions allowed' : ''}; modules: ${exportsOf.join('; ')}`,
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Stops taking jobs and waits for the running ones, up to `grace`; past it, they are
      // stopped and their jobs go back to the queue, for another worker.
      const finished = worker.close();
      const timer = setTimeout(() => {
        givingBack = true;
        void runner.terminate();
        void pools.terminate();
      }, grace);
      try {
        await finished;
      } finally {
        clearTimeout(timer);
      }
      clearInterval(sweeper);
      await Promise.all([runner.terminate(), pools.terminate(), registry.leave()]);
      await Promise.allSettled(clients.map((client) => client.quit()));
      for (const client of clients) client.disconnect();
    })();
    return closing;
  };
  return { served: served.map((module) => module.reference), close };
}

/**
 * Whether a job's client is still there (its liveness key exists), asked of Redis at most once a
 * second per client: the key lives CLIENT_TTL_MS, so a second's staleness changes nothing.
 */
class ClientLiveness {
  readonly #seen = new Map<string, { alive: boolean; at: number }>();

  constructor(
    readonly commands: RedisClient,
    readonly queue: string,
  ) {}

  async alive(client: string): Promise<boolean> {
    const now = Date.now();
    const known = this.#seen.get(client);
    if (known && now - known.at < 1000) return known.alive;
    const alive = (await this.commands.exists(aliveKey(this.queue, client))) === 1;
    this.#seen.delete(client);
    this.#seen.set(client, { alive, at: now });
    // Bounded: the oldest entries go first.
    if (this.#seen.size > 10_000) this.#seen.delete(this.#seen.keys().next().value as string);
    return alive;
  }
}

/** The abort requests of clients, matched with the jobs this worker runs. */
class AbortWatch {
  readonly #running = new Map<string, AbortController>();
  /** Aborts that came before their job started here (or for another worker's): kept briefly. */
  readonly #early = new Map<string, { reason: unknown; at: number }>();

  track(id: string): AbortController {
    const controller = new AbortController();
    const early = this.#early.get(id);
    if (early) controller.abort(early.reason);
    this.#running.set(id, controller);
    return controller;
  }

  untrack(id: string): void {
    this.#running.delete(id);
  }

  received(message: string): void {
    let id: string;
    let reason: unknown;
    try {
      const decoded = deserialize(Buffer.from(message, 'base64')) as [
        string,
        Parameters<typeof deserializeError>[0],
      ];
      id = decoded[0];
      reason = deserializeError(decoded[1]);
    } catch {
      return;
    }
    const controller = this.#running.get(id);
    if (controller) {
      controller.abort(reason);
      return;
    }
    const now = Date.now();
    this.#early.set(id, { reason, at: now });
    for (const [key, entry] of this.#early) {
      if (now - entry.at < 60_000) break;
      this.#early.delete(key);
    }
  }
}
