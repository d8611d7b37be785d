/**
 * The client's watch over its initializer's failures on the workers. A worker where it fails
 * takes no more of the client's jobs (they go to the others) and records the error (wire.ts
 * initFailuresKey); the pool is broken only when every live worker serving the queue has failed
 * it (wire.ts workersKey holds the live ones): then no worker can run the client's tasks.
 * Looked at when a worker says it failed, and every second while tasks are out (a good worker
 * may die afterwards, leaving only failed ones). "Every live worker failed" must hold for longer
 * than a worker's renewal period before the pool breaks: after a Redis restarted empty, the
 * registrations come back one renewal at a time, and a good worker not yet back is no reason to
 * break a pool it would serve.
 */
import { deserialize } from 'node:v8';
import { deserializeError } from '../protocol/errors.js';
import type { RedisClient } from './drivers.js';
import { initFailuresKey, WORKER_TTL_MS, workersKey } from './wire.js';

/** How often the failures are looked at while tasks are out and some worker has failed. */
const CHECK_EVERY_MS = 1000;
/** How long "every live worker failed" must hold: a renewal period of the workers, and a margin. */
const CONFIRM_MS = WORKER_TTL_MS / 3 + 1000;

export class InitWatch {
  readonly #commands: RedisClient;
  readonly #failures: string;
  readonly #workers: string;
  readonly #broken: (error: unknown, failed: string[]) => void;
  /** Whether some worker has said it failed (before that, nothing needs looking at). */
  #seen = false;
  #checking = false;
  #done = false;
  /** Since when every live worker has been seen to have failed (undefined: not so at last look). */
  #allFailedSince: number | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(
    commands: RedisClient,
    queue: string,
    client: string,
    broken: (error: unknown, failed: string[]) => void,
    hasWork: () => boolean,
  ) {
    this.#commands = commands;
    this.#failures = initFailuresKey(queue, client);
    this.#workers = workersKey(queue);
    this.#broken = broken;
    this.#timer = setInterval(() => {
      if (this.#seen && hasWork()) void this.check();
    }, CHECK_EVERY_MS);
    this.#timer.unref();
  }

  /** A worker said the initializer failed there. */
  failed(): void {
    this.#seen = true;
    void this.check();
  }

  async check(): Promise<void> {
    if (this.#checking || this.#done) return;
    this.#checking = true;
    try {
      const failures = await this.#commands.hgetall(this.#failures);
      const failed = Object.keys(failures);
      const live =
        failed.length === 0
          ? []
          : await this.#commands.zrangebyscore(this.#workers, Date.now(), '+inf');
      // A worker that registered and has not failed it yet may still run it.
      if (failed.length === 0 || live.some((worker) => failures[worker] === undefined)) {
        this.#allFailedSince = undefined;
        return;
      }
      const now = Date.now();
      this.#allFailedSince ??= now;
      if (now - this.#allFailedSince < CONFIRM_MS) {
        // Looked at again once it has held long enough (the timer only looks while tasks are out).
        setTimeout(() => void this.check(), CONFIRM_MS - (now - this.#allFailedSince) + 50).unref();
        return;
      }
      if (this.#done) return;
      this.#done = true;
      clearInterval(this.#timer);
      const first =
        failures[live.find((worker) => failures[worker] !== undefined) ?? failed[0] ?? ''];
      let error: unknown;
      try {
        error = deserializeError(deserialize(Buffer.from(first ?? '', 'base64')));
      } catch {
        error = new Error('The initializer failed on every worker (its error could not be read)');
      }
      this.#broken(error, failed);
    } catch {
      // Redis away: looked at again later.
    } finally {
      this.#checking = false;
    }
  }

  stop(): void {
    this.#done = true;
    clearInterval(this.#timer);
  }
}
