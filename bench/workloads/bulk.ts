// Workload 2: one bulk map over N items (spindle and poolifier have one; the others get
// Promise.all over their single-task API). The timed map is repeated while it is short (fast
// pools take tens of milliseconds, too little for one sample on a noisy machine); the median
// rate of the repetitions is reported.
import { expectEqual, incSum, sum } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import { loadPool } from '../child/pools.js';
import { RssSampler } from '../child/rss.js';
import type { ChildSpec } from '../shared/protocol.js';
import { percentile } from '../shared/stats.js';

const MAX_REPEATS = 9;

export async function run(spec: ChildSpec<'bulk'>): Promise<Measurement> {
  const { items, warmup, repeatMs } = spec.params;
  const library = await loadPool(spec.pool);
  const pool = library.create(spec.threads);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  expectEqual('warm-up checksum', sum(await pool.incAll(range(warmup))), incSum(warmup));

  const input = range(items);
  const rss = new RssSampler().start();
  const rates: number[] = [];
  const start = performance.now();
  do {
    const t0 = performance.now();
    const results = await pool.incAll(input);
    rates.push((items * 1000) / (performance.now() - t0));
    expectEqual('result count', results.length, items);
    expectEqual('checksum', sum(results), incSum(items));
  } while (performance.now() - start < repeatMs && rates.length < MAX_REPEATS);
  const { peakRssMb } = rss.stop();
  rates.sort((a, b) => a - b);
  return {
    result: {
      metrics: { itemsPerSec: percentile(rates, 0.5), repeats: rates.length, peakRssMb },
      notes: [`bulk API: ${library.bulkApi}`],
    },
    teardown: () => pool.destroy(),
  };
}
