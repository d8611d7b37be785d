import { deserialize } from 'node:v8';
import { deserializeError } from '../protocol/errors.js';

/** The abort requests of clients, matched with the jobs this worker runs. */
export class AbortWatch {
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
