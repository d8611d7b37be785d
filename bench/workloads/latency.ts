// Workload 3: sequential round trips (issue one trivial task, await it, issue the next).
import { expectEqual } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import { loadPool } from '../child/pools.js';
import type { ChildSpec } from '../shared/protocol.js';
import { percentile } from '../shared/stats.js';

export async function run(spec: ChildSpec<'latency'>): Promise<Measurement> {
  const { warmup, trips } = spec.params;
  const pool = (await loadPool(spec.pool)).create(spec.threads);
  for (let i = 0; i < warmup; i++) expectEqual('warm-up result', await pool.call(i), i + 1);

  const samples = new Float64Array(trips);
  for (let i = 0; i < trips; i++) {
    const t0 = performance.now();
    const result = await pool.call(i);
    samples[i] = (performance.now() - t0) * 1000;
    if (result !== i + 1) expectEqual('result', result, i + 1);
  }
  const sorted = Array.from(samples).sort((a, b) => a - b);
  return {
    result: {
      metrics: {
        p50Us: percentile(sorted, 0.5),
        p99Us: percentile(sorted, 0.99),
        meanUs: sorted.reduce((a, b) => a + b, 0) / trips,
      },
    },
    teardown: () => pool.destroy(),
  };
}
