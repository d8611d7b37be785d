// Workload 4: CPU-bound fib(n) tasks through the bulk API; speed-up over the same work done
// serially on the main thread of the same process. Both sides run once untimed first (JIT
// warm-up, threads started), then timed.
import { expectEqual, fib, sum } from '../child/check.js';
import { loadPool } from '../child/pools.js';
import type { ChildResult, ChildSpec } from '../shared/protocol.js';

export async function run(spec: ChildSpec<'cpu'>): Promise<ChildResult> {
  const { tasks, n } = spec.params;
  const ns = new Array<number>(tasks).fill(n);
  const expected = fib(n) * tasks;
  const serial = (): number => sum(ns.map(fib));
  const pool = (await loadPool(spec.pool)).create(spec.threads);

  expectEqual('serial warm-up', serial(), expected);
  expectEqual('pool warm-up', sum(await pool.fibAll(ns)), expected);

  let t0 = performance.now();
  expectEqual('serial', serial(), expected);
  const serialMs = performance.now() - t0;

  t0 = performance.now();
  expectEqual('pool', sum(await pool.fibAll(ns)), expected);
  const poolMs = performance.now() - t0;

  await pool.destroy();
  return { metrics: { speedup: serialMs / poolMs, poolMs, serialMs } };
}
