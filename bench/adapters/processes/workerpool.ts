// workerpool in its process mode (`workerType: 'process'`: child_process.fork of the worker
// script): `exec(name, [x])` per task; no bulk API, so bulk is Promise.all.
import { fileURLToPath } from 'node:url';
import type { BenchPool, PoolLibrary } from '../types.js';

const script = fileURLToPath(new URL('../../workers/workerpool-worker.mjs', import.meta.url));

export async function load(): Promise<PoolLibrary> {
  const { default: workerpool } = await import('workerpool');
  return {
    bulkApi: 'Promise.all(exec)',
    create(processes: number): BenchPool {
      const pool = workerpool.pool(script, {
        minWorkers: processes,
        maxWorkers: processes,
        workerType: 'process',
      });
      const exec = (name: string, x: number): Promise<number> =>
        pool.exec(name, [x]) as unknown as Promise<number>;
      return {
        submit: (x) => exec('inc', x),
        call: (x) => exec('inc', x),
        incAll: (xs) => Promise.all(xs.map((x) => exec('inc', x))),
        fibAll: (ns) => Promise.all(ns.map((n) => exec('fib', n))),
        destroy: async () => {
          await pool.terminate();
        },
      };
    },
  };
}
