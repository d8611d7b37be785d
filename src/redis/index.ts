/**
 * `spindle/redis`: the same `ThreadPool` and `ThreadPoolExecutor` on many machines, through a
 * BullMQ queue on Redis. {@link redis} makes the `backend` for a pool; {@link serve} (or the
 * `spindle worker` command) runs the tasks on each machine. Needs the optional peer dependencies
 * `bullmq` and `ioredis`; `spindle` itself never loads them.
 * @packageDocumentation
 * @module spindle/redis
 */
// This file holds the public exports only.

export { serve } from '../cli/serve.js';
export type { ServeOptions, Server } from '../cli/serve-options.js';
export type { Backend } from '../threads/backend.js';
export { redis } from './backend.js';
export type { RedisBackendOptions, RedisConnectionOptions } from './settings.js';
