// Workload 11: process pools (`threads` child processes each), all measured in one child per
// round, in this order: new pool → first result (the library already imported), tiny-task
// throughput (all issued at once, then awaited, after a warm-up), sequential round trips, and
// the CPU speed-up of a fib map on this pool over the same map on a pool of one process.
import type { BenchPool, PoolLibrary } from '../adapters/types.js';
import { expectEqual, fib, incSum, sum } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import { loadProcessPool } from '../child/pools.js';
import type { ChildSpec } from '../shared/protocol.js';
import { percentile } from '../shared/stats.js';

async function issueAll(pool: BenchPool, n: number): Promise<number> {
  const pending = new Array<PromiseLike<number>>(n);
  for (let i = 0; i < n; i++) pending[i] = pool.submit(i);
  return sum(await Promise.all(pending));
}

async function roundTrips(pool: BenchPool, trips: number): Promise<number[]> {
  const samples = new Array<number>(trips);
  for (let i = 0; i < trips; i++) {
    const t0 = performance.now();
    const result = await pool.call(i);
    samples[i] = (performance.now() - t0) * 1000;
    if (result !== i + 1) expectEqual('round-trip result', result, i + 1);
  }
  return samples.sort((a, b) => a - b);
}

/** Best times of `repeats` alternating passes on the pool and on a one-process pool. */
async function speedUp(
  library: PoolLibrary,
  pool: BenchPool,
  params: ChildSpec<'processes'>['params'],
): Promise<{ speedup: number; poolMs: number; oneProcessMs: number }> {
  const { fibTasks, fibN, fibRepeats } = params;
  const ns = new Array<number>(fibTasks).fill(fibN);
  const expected = fib(fibN) * fibTasks;
  const single = library.create(1);
  try {
    const time = async (what: string, on: BenchPool): Promise<number> => {
      const t0 = performance.now();
      expectEqual(what, sum(await on.fibAll(ns)), expected);
      return performance.now() - t0;
    };
    await time('one-process warm-up', single);
    await time('pool warm-up', pool);
    let oneProcessMs = Number.POSITIVE_INFINITY;
    let poolMs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < fibRepeats; i++) {
      oneProcessMs = Math.min(oneProcessMs, await time('one process', single));
      poolMs = Math.min(poolMs, await time('pool', pool));
    }
    return { speedup: oneProcessMs / poolMs, poolMs, oneProcessMs };
  } finally {
    await single.destroy();
  }
}

export async function run(spec: ChildSpec<'processes'>): Promise<Measurement> {
  const { tasks, warmup, trips } = spec.params;
  const library = await loadProcessPool(spec.pool);
  const t0 = performance.now();
  const pool = library.create(spec.threads);
  expectEqual('first result', await pool.call(41), 42);
  const startupMs = performance.now() - t0;

  expectEqual('warm-up checksum', await issueAll(pool, warmup), incSum(warmup));
  const t1 = performance.now();
  const total = await issueAll(pool, tasks);
  const ms = performance.now() - t1;
  expectEqual('checksum', total, incSum(tasks));

  const sorted = await roundTrips(pool, trips);
  const cpu = await speedUp(library, pool, spec.params);
  return {
    result: {
      metrics: {
        tasksPerSec: (tasks * 1000) / ms,
        p50Us: percentile(sorted, 0.5),
        p99Us: percentile(sorted, 0.99),
        startupMs,
        ...cpu,
      },
    },
    teardown: () => pool.destroy(),
  };
}
