// Workload 4: CPU-bound fib(n) tasks through the bulk API; speed-up over the same work done
// serially on the main thread of the same process. After one untimed pass of each (JIT warm-up,
// threads started), serial and pool passes alternate `repeats` times; the speed-up is the best
// serial time over the best pool time (the least disturbed by other load on a shared machine).

import { expectEqual, fib, sum } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import { loadPool } from '../child/pools.js';
import type { ChildSpec } from '../shared/protocol.js';
import { percentile } from '../shared/stats.js';

export async function run(spec: ChildSpec<'cpu'>): Promise<Measurement> {
  const { tasks, n, repeats } = spec.params;
  const ns = new Array<number>(tasks).fill(n);
  const expected = fib(n) * tasks;
  const pool = (await loadPool(spec.pool)).create(spec.threads);
  const serial = async () => sum(ns.map(fib));
  const parallel = async () => sum(await pool.fibAll(ns));
  const time = async (what: string, pass: () => Promise<number>): Promise<number> => {
    const t0 = performance.now();
    expectEqual(what, await pass(), expected);
    return performance.now() - t0;
  };

  await time('serial warm-up', serial);
  await time('pool warm-up', parallel);
  const serialMs: number[] = [];
  const poolMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    serialMs.push(await time('serial', serial));
    poolMs.push(await time('pool', parallel));
  }
  const best = (ms: number[]) => Math.min(...ms);
  const median = (ms: number[]) =>
    percentile(
      [...ms].sort((a, b) => a - b),
      0.5,
    );
  return {
    result: {
      metrics: {
        speedup: best(serialMs) / best(poolMs),
        poolMs: best(poolMs),
        serialMs: best(serialMs),
        medianSpeedup: median(serialMs) / median(poolMs),
      },
    },
    teardown: () => pool.destroy(),
  };
}
