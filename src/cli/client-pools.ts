/**
 * A worker's local pools for the clients whose pool has an `initializer`. Each such client gets a
 * pool of its own here, whose threads run the client's initializer once each, before the client's
 * first task on them: a task module's state lives per thread (each is its own V8 isolate), so
 * once per thread is what makes the initializer's work visible to every task it prepares, as
 * Python runs it once per worker process. Clients without one share the worker's pool.
 *
 * A client whose initializer failed here (or that names one this worker cannot run) is
 * remembered: its jobs go back to the queue, for the other workers. A client that is gone has its
 * pool stopped.
 */

import { deserialize } from 'node:v8';
import { Engine } from '../engine/engine.js';
import { resolvePoolOptions } from '../options/resolve.js';
import type { ResolvedPoolOptions } from '../options/types.js';
import type { JobData, JobInit } from '../redis/wire.js';
import type { LocalRunner } from './local-runner.js';

/** How many failed clients are remembered at most (the oldest are forgotten first). */
const MAX_FAILED = 10_000;

export type PoolFor =
  | { engine: Engine; failure?: undefined }
  /**
   * The client's initializer cannot run or failed here: its jobs go back to the queue. `fresh`:
   * found just now (to be recorded for the client), not remembered from before.
   */
  | { engine?: undefined; failure: unknown; fresh: boolean };

export class ClientPools {
  readonly #base: ResolvedPoolOptions;
  readonly #runner: LocalRunner;
  readonly #reportError: (error: unknown) => void;
  readonly #pools = new Map<string, Engine>();
  readonly #failed = new Map<string, unknown>();

  constructor(
    base: ResolvedPoolOptions,
    runner: LocalRunner,
    reportError: (error: unknown) => void,
  ) {
    this.#base = base;
    this.#runner = runner;
    this.#reportError = reportError;
  }

  /** The pool a job with an initializer runs on, or why it cannot run here. */
  poolFor(data: JobData & { init: JobInit }): PoolFor {
    const failure = this.#failed.get(data.client);
    if (failure !== undefined || this.#failed.has(data.client)) return { failure, fresh: false };
    const known = this.#pools.get(data.client);
    if (known) return { engine: known };
    let engine: Engine;
    try {
      const initializer = this.#runner.resolve(data.init.fn);
      const initargs = deserialize(Buffer.from(data.init.args, 'base64')) as unknown;
      if (!Array.isArray(initargs)) {
        throw new TypeError('Expected the initargs of a job to be an array');
      }
      const options = resolvePoolOptions(
        {
          workers: this.#base.workers,
          threads: this.#base.threads,
          name: `${this.#base.name}-${data.client}`,
          initializer: initializer as () => unknown,
          initargs,
          initializerTimeout: data.init.timeout,
        },
        'serve()',
      );
      engine = new Engine(options, this.#reportError);
    } catch (error) {
      this.#fail(data.client, error);
      return { failure: error, fresh: true };
    }
    this.#pools.set(data.client, engine);
    return { engine };
  }

  /**
   * A task of `client` failed on `engine`: if its initializer broke that pool, the client is
   * marked failed here and the initializer's error is returned (once: later calls, for the other
   * tasks the broken pool failed, return undefined, as does a task's own failure).
   */
  initFailure(client: string, engine: Engine): { error: unknown } | undefined {
    const broken = engine.broken;
    if (!broken || this.#pools.get(client) !== engine) return undefined;
    this.#pools.delete(client);
    void engine.terminate();
    const error = broken.cause ?? broken;
    this.#fail(client, error);
    return { error };
  }

  /** Whether a task's failure came from its pool's broken initializer (not from the task). */
  isBroken(engine: Engine): boolean {
    return engine.broken !== null;
  }

  #fail(client: string, error: unknown): void {
    this.#failed.set(client, error);
    if (this.#failed.size > MAX_FAILED) {
      this.#failed.delete(this.#failed.keys().next().value as string);
    }
  }

  /** The clients this worker holds something for (a pool, a failure). */
  clients(): string[] {
    return [...new Set([...this.#pools.keys(), ...this.#failed.keys()])];
  }

  /** The client is gone: its pool stops, its failure is forgotten. */
  forget(client: string): void {
    this.#failed.delete(client);
    const engine = this.#pools.get(client);
    this.#pools.delete(client);
    if (engine) void engine.terminate();
  }

  terminate(): Promise<void> {
    const engines = [...this.#pools.values()];
    this.#pools.clear();
    return Promise.all(engines.map((engine) => engine.terminate())).then(() => {});
  }
}
