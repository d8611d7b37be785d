// Workload 5: a fresh process imports the pool library, creates a pool and gets a first
// result. The parent runs one such process per sample and also times the whole process.
import { expectEqual } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import { loadPool } from '../child/pools.js';
import type { ChildSpec } from '../shared/protocol.js';

export async function run(spec: ChildSpec<'startup'>): Promise<Measurement> {
  const t0 = performance.now();
  const library = await loadPool(spec.pool);
  const t1 = performance.now();
  const pool = library.create(spec.threads);
  expectEqual('first result', await pool.call(41), 42);
  const t2 = performance.now();
  return {
    result: {
      metrics: {
        startupMs: t2 - t1,
        importMs: t1 - t0,
        // performance.now() counts from the process's start.
        processToResultMs: t2,
      },
    },
    teardown: () => pool.destroy(),
  };
}
