import type { RedisClient } from '../redis/drivers.js';
import { aliveKey } from '../redis/wire.js';

/**
 * Whether a job's client is still there (its liveness key exists), asked of Redis at most once a
 * second per client: the key lives CLIENT_TTL_MS, so a second's staleness changes nothing.
 */
export class ClientLiveness {
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
