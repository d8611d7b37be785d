/**
 * BullMQ and ioredis, loaded only when a redis backend first connects or a worker starts: they
 * are optional peer dependencies, and `spindle` itself never loads them.
 */
import type * as BullMQ from 'bullmq';
import type * as IORedis from 'ioredis';
import type { RedisConnectionOptions } from './settings.js';

export type RedisClient = IORedis.Redis;
export type BullQueue = BullMQ.Queue;
export type BullWorker = BullMQ.Worker;
export type BullJob = BullMQ.Job;

export interface Drivers {
  Queue: typeof BullMQ.Queue;
  Worker: typeof BullMQ.Worker;
  /** Thrown by a processor that gave its job back to the queue (`job.moveToWait()`). */
  givenBack(): Error;
  Redis: typeof IORedis.Redis;
}

let loading: Promise<Drivers> | undefined;

export function loadDrivers(): Promise<Drivers> {
  loading ??= (async () => {
    try {
      const [bullmq, ioredis] = await Promise.all([import('bullmq'), import('ioredis')]);
      const Redis = (ioredis.Redis ??
        (ioredis as unknown as { default: typeof IORedis.Redis }).default) as typeof IORedis.Redis;
      const givenBack = (): Error => {
        const message = 'spindle worker stopping: the job goes back to the queue';
        if (typeof bullmq.WaitingError === 'function') return new bullmq.WaitingError(message);
        // Older BullMQ releases know it by its name.
        const error = new Error(message);
        error.name = 'WaitingError';
        return error;
      };
      return { Queue: bullmq.Queue, Worker: bullmq.Worker, Redis, givenBack };
    } catch (error) {
      loading = undefined;
      throw new Error(
        "spindle/redis needs the packages 'bullmq' and 'ioredis' (optional peer dependencies): " +
          `npm install bullmq ioredis (${error instanceof Error ? error.message : String(error)})`,
        { cause: error },
      );
    }
  })();
  return loading;
}

/** Where to connect: a URL or fields, as `redis()` or `--redis` gave it. */
export interface RedisTarget {
  url: string | undefined;
  connection: RedisConnectionOptions | undefined;
}

/**
 * A client that reconnects for ever (BullMQ needs `maxRetriesPerRequest: null`; bounds are the
 * caller's: connectTimeout, reconnectTimeout). `onError` hears every connection error: ioredis
 * reports them as events, which must have a listener.
 */
export function makeClient(
  drivers: Drivers,
  target: RedisTarget,
  name: string,
  onError: (error: Error) => void,
): RedisClient {
  const options = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: name,
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
  };
  const client = target.url
    ? new drivers.Redis(target.url, options)
    : new drivers.Redis({ ...target.connection, ...options });
  client.on('error', onError);
  return client;
}

/** Resolves with `promise`, or rejects with `timeoutError()` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Lets the process exit while the client is idle (`ref: false`), or holds it (`true`). */
export function refClient(client: RedisClient, ref: boolean): void {
  const stream = (client as unknown as { stream?: { ref?(): void; unref?(): void } }).stream;
  if (ref) stream?.ref?.();
  else stream?.unref?.();
}
