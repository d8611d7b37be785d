// spindle's ProcessPool, as a user writes it: inline task functions, `applyAsync` per task and
// `map` in bulk, `workers` slots on as many child processes.
import { loadSpindle } from '../spindle.js';
import type { BenchPool, PoolLibrary } from '../types.js';

const inc = (x: number): number => x + 1;

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export async function load(): Promise<PoolLibrary> {
  const { ProcessPool } = await loadSpindle();
  return {
    bulkApi: 'map',
    create(processes: number): BenchPool {
      const pool = new ProcessPool({ workers: processes, processes });
      return {
        submit: (x) => pool.applyAsync(inc, [x]),
        call: (x) => pool.apply(inc, [x]),
        incAll: (xs) => pool.map(inc, xs),
        fibAll: (ns) => pool.map(fib, ns),
        destroy: async () => {
          await pool.terminate();
          await pool.join();
        },
      };
    },
  };
}
