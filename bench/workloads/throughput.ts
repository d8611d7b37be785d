// Workload 1: N trivial tasks issued at once through the single-task API, then all awaited.
// After the timed part, untimed: the heap each task in flight takes on the main thread, against
// a bare pending promise.
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
  const { tasks, warmup, heapTasks } = spec.params;
  const pool = (await loadPool(spec.pool)).create(spec.threads);
  expectEqual('warm-up checksum', await issueAll(pool, warmup), incSum(warmup));

  const rss = new RssSampler().start();
  const t0 = performance.now();
  const total = await issueAll(pool, tasks);
  const ms = performance.now() - t0;
  const { peakRssMb } = rss.stop();
  expectEqual('checksum', total, incSum(tasks));

  const { heapPerBarePromise, heapPerCall } = await import('../child/heap.js');
  const promiseBytes = heapPerBarePromise(heapTasks);
  const { bytes, held } = heapPerCall(heapTasks, (i) => pool.submit(i));
  expectEqual('heap run checksum', sum(await Promise.all(held)), incSum(heapTasks));
  return {
    result: {
      metrics: {
        tasksPerSec: (tasks * 1000) / ms,
        elapsedMs: ms,
        peakRssMb,
        bytesPerTask: bytes,
        promiseBytes,
        extraBytesPerTask: bytes - promiseBytes,
      },
    },
    teardown: () => pool.destroy(),
  };
}
