/**
 * A worker's registration among those serving its queue (wire.ts workersKey): renewed while it
 * serves, removed when it stops, expired by time if it dies. Clients read it to tell whether every
 * live worker has failed their initializer (then their pool is broken) or some may still run it.
 * It also records this worker's initializer failures where the client reads them.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { serialize } from 'node:v8';
import { serializeError } from '../protocol/errors.js';
import type { RedisClient } from '../redis/drivers.js';
import {
  encodeNote,
  initFailuresKey,
  Note,
  RESULTS_TTL_MS,
  resultsKey,
  WORKER_TTL_MS,
  workersKey,
} from '../redis/wire.js';

export class WorkerRegistry {
  /** This worker's id: where it runs, and a part of its own (a restarted worker is a new one). */
  readonly id = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #commands: RedisClient;
  readonly #queue: string;
  readonly #timer: NodeJS.Timeout;

  constructor(commands: RedisClient, queue: string) {
    this.#commands = commands;
    this.#queue = queue;
    this.#timer = setInterval(() => void this.renew(), WORKER_TTL_MS / 3);
    this.#timer.unref();
    // Back from a lost connection (perhaps to a Redis restarted empty): registered again at once.
    commands.on('ready', () => void this.renew());
  }

  /** Registers (again) this worker, and lets the registrations of dead ones go. */
  async renew(): Promise<void> {
    const now = Date.now();
    const key = workersKey(this.#queue);
    try {
      await this.#commands
        .multi()
        .zadd(key, now + WORKER_TTL_MS, this.id)
        .zremrangebyscore(key, '-inf', now)
        .pexpire(key, WORKER_TTL_MS * 4)
        .exec();
    } catch {
      // Redis away: the next renewal (or the client's patience) settles it.
    }
  }

  /**
   * The client's initializer failed here: recorded for it (again at each job given back, so that a
   * Redis restarted empty learns it anew), and, when `fresh`, the client told to look.
   */
  async initFailed(client: string, error: unknown, fresh: boolean): Promise<void> {
    const failures = initFailuresKey(this.#queue, client);
    const value = serialize(serializeError(error)).toString('base64');
    const batch = this.#commands
      .multi()
      .hset(failures, this.id, value)
      .pexpire(failures, RESULTS_TTL_MS);
    if (fresh) {
      const results = resultsKey(this.#queue, client);
      batch.rpush(results, encodeNote([Note.InitFailed, this.id])).pexpire(results, RESULTS_TTL_MS);
    }
    await batch.exec();
  }

  /** Stops serving: no client counts on it any more. */
  async leave(): Promise<void> {
    clearInterval(this.#timer);
    try {
      await this.#commands.zrem(workersKey(this.#queue), this.id);
    } catch {}
  }
}
