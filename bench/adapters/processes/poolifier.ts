// poolifier's cluster pool (`FixedClusterPool`: node:cluster workers, one process each):
// `execute(x, name)` per task and `mapExecute(xs, name)` in bulk.
import { fileURLToPath } from 'node:url';
import type { BenchPool, PoolLibrary } from '../types.js';

const filename = fileURLToPath(
  new URL('../../workers/poolifier-cluster-worker.cjs', import.meta.url),
);

export async function load(): Promise<PoolLibrary> {
  const { FixedClusterPool } = await import('poolifier');
  return {
    bulkApi: 'mapExecute',
    create(processes: number): BenchPool {
      const pool = new FixedClusterPool<number, number>(processes, filename);
      return {
        submit: (x) => pool.execute(x, 'inc'),
        call: (x) => pool.execute(x, 'inc'),
        incAll: (xs) => pool.mapExecute(xs, 'inc'),
        fibAll: (ns) => pool.mapExecute(ns, 'fib'),
        destroy: () => pool.destroy(),
      };
    },
  };
}
