// tinypool: `run(x, { name })` per task; no bulk or lazy map API, so bulk is Promise.all.
import type { BenchPool, PoolLibrary } from './types.js';

const filename = new URL('../workers/tasks.mjs', import.meta.url).href;

export async function load(): Promise<PoolLibrary> {
  const { Tinypool } = await import('tinypool');
  return {
    bulkApi: 'Promise.all(run)',
    create(threads: number): BenchPool {
      const pool = new Tinypool({ filename, minThreads: threads, maxThreads: threads });
      const inc = { name: 'inc' };
      const fib = { name: 'fib' };
      return {
        submit: (x) => pool.run(x, inc),
        call: (x) => pool.run(x, inc),
        incAll: (xs) => Promise.all(xs.map((x) => pool.run(x, inc))),
        fibAll: (ns) => Promise.all(ns.map((n) => pool.run(n, fib))),
        destroy: () => pool.destroy(),
      };
    },
  };
}
