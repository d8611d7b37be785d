// raw-echo: no pool, the floor under every pool's throughput. One worker thread; each call
// gets a promise, the inputs issued in one turn go out as one batch (one `postMessage`), and
// the worker answers each batch with one message of results, in order. Only `x + 1`.
import { Worker } from 'node:worker_threads';
import type { BenchPool, PoolLibrary } from './types.js';

const script = new URL('../workers/raw-echo-worker.mjs', import.meta.url);

class RawEcho implements BenchPool {
  readonly #worker = new Worker(script);
  #batch: number[] = [];
  #resolvers: ((value: number) => void)[] = [];
  #head = 0;
  #flushQueued = false;

  constructor() {
    this.#worker.on('message', (results: number[]) => {
      for (const value of results) this.#resolvers[this.#head++]!(value);
      if (this.#head === this.#resolvers.length) {
        this.#resolvers = [];
        this.#head = 0;
      }
    });
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    this.#worker.postMessage(this.#batch);
    this.#batch = [];
  };

  submit(x: number): Promise<number> {
    return new Promise<number>((resolve) => {
      this.#batch.push(x);
      this.#resolvers.push(resolve);
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(this.#flush);
      }
    });
  }

  call(x: number): Promise<number> {
    return this.submit(x);
  }

  incAll(xs: number[]): Promise<number[]> {
    return Promise.all(xs.map((x) => this.submit(x)));
  }

  fibAll(): Promise<number[]> {
    return Promise.reject(new Error('raw-echo only echoes x + 1'));
  }

  async destroy(): Promise<void> {
    await this.#worker.terminate();
  }
}

export async function load(): Promise<PoolLibrary> {
  return { bulkApi: 'Promise.all(echo)', create: () => new RawEcho() };
}
