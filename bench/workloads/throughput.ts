// Workload 1: N trivial tasks issued at once through the single-task API, then all awaited.

import type { BenchPool } from '../adapters/types.js';
import { expectEqual, incSum, sum } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import { loadPool } from '../child/pools.js';
import { RssSampler } from '../child/rss.js';
import type { ChildSpec } from '../shared/protocol.js';

async function issueAll(pool: BenchPool, n: number): Promise<number> {
  const pending = new Array<PromiseLike<number>>(n);
  for (let i = 0; i < n; i++) pending[i] = pool.submit(i);
  return sum(await Promise.all(pending));
}

export async function run(spec: ChildSpec<'throughput'>): Promise<Measurement> {
  const { tasks, warmup } = spec.params;
  const pool = (await loadPool(spec.pool)).create(spec.threads);
  expectEqual('warm-up checksum', await issueAll(pool, warmup), incSum(warmup));

  const rss = new RssSampler().start();
  const t0 = performance.now();
  const total = await issueAll(pool, tasks);
  const ms = performance.now() - t0;
  const { peakRssMb } = rss.stop();
  expectEqual('checksum', total, incSum(tasks));
  return {
    result: { metrics: { tasksPerSec: (tasks * 1000) / ms, elapsedMs: ms, peakRssMb } },
    teardown: () => pool.destroy(),
  };
}
