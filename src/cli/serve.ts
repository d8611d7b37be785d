/**
 * `spindle worker`'s work, also callable from a program: a local spindle pool fed by a BullMQ
 * queue. BullMQ's Worker takes a job only while one of the pool's task slots is free
 * (concurrency = workers); each job's task runs on the pool (local-runner.ts), or on its client's
 * own pool when the client has an initializer (client-pools.ts), and what it reports (started,
 * progress, outcome) is pushed onto its client's results list. A job whose client is gone (its
 * liveness key expired) is dropped without running; one whose client's initializer fails here is
 * given back to the queue, for the other workers (worker-registry.ts records why).
 */
import { Engine } from '../engine/engine.js';
import { fromModule } from '../functions/functions.js';
import { resolvePoolOptions } from '../options/resolve.js';
import { describe, expectDuration, optionalInteger } from '../options/validate.js';
import { Outcome, TaskFlags } from '../protocol/messages.js';
import {
  type BullJob,
  type BullWorker,
  loadDrivers,
  makeClient,
  within,
} from '../redis/drivers.js';
import { servedModule } from '../redis/module-refs.js';
import { encodeOutcome } from '../redis/outcome-codec.js';
import { expectQueueName, expectRedisUrl, resolveRoot } from '../redis/settings.js';
import {
  abortChannel,
  encodeNote,
  isJobData,
  Note,
  RESULTS_TTL_MS,
  resultsKey,
  safeUrl,
} from '../redis/wire.js';
import { AbortWatch } from './abort-watch.js';
import { ClientLiveness } from './client-liveness.js';
import { ClientPools } from './client-pools.js';
import { LocalRunner, type ServedTasks } from './local-runner.js';
import { SERVE_KEYS, type ServeOptions, type Server } from './serve-options.js';
import { WorkerRegistry } from './worker-registry.js';

/** How long a slot rests after giving back a job it cannot run, so that it does not spin on it. */
const GIVE_BACK_PAUSE_MS = 250;

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
