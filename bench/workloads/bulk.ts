// Workload 2: one bulk map over N items (spindle and poolifier have one; the others get
// Promise.all over their single-task API).
import { expectEqual, incSum, sum } from '../child/check.js';
import { loadPool } from '../child/pools.js';
import { RssSampler } from '../child/rss.js';
import type { ChildResult, ChildSpec } from '../shared/protocol.js';

export async function run(spec: ChildSpec<'bulk'>): Promise<ChildResult> {
  const { items, warmup } = spec.params;
  const library = await loadPool(spec.pool);
  const pool = library.create(spec.threads);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  expectEqual('warm-up checksum', sum(await pool.incAll(range(warmup))), incSum(warmup));

  const input = range(items);
  const rss = new RssSampler().start();
  const t0 = performance.now();
  const results = await pool.incAll(input);
  const ms = performance.now() - t0;
  const { peakRssMb } = rss.stop();
  expectEqual('result count', results.length, items);
  expectEqual('checksum', sum(results), incSum(items));
  await pool.destroy();
  return {
    metrics: { itemsPerSec: (items * 1000) / ms, elapsedMs: ms, peakRssMb },
    notes: [`bulk API: ${library.bulkApi}`],
  };
}
