// Workload 3: sequential round trips (issue one trivial task, await it, issue the next). spindle
// is measured in each single-task form (the variant), one form per process.
import { loadSpindle } from '../adapters/spindle.js';
import { expectEqual } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import { loadPool } from '../child/pools.js';
import type { ChildSpec } from '../shared/protocol.js';
import { percentile } from '../shared/stats.js';
import { LATENCY_FORMS, type LatencyForm } from '../shared/variants.js';

interface RoundTrip {
  /** What the caller awaits: the form's own promise or thenable, without a wrapper. */
  call(x: number): PromiseLike<number>;
  destroy(): Promise<void>;
}

const inc = (x: number): number => x + 1;

async function spindleForm(form: LatencyForm, threads: number): Promise<RoundTrip> {
  const { ThreadPool, ThreadPoolExecutor } = await loadSpindle();
  if (form === 'submit().result()' || form === 'await submit()') {
    const executor = new ThreadPoolExecutor({ maxWorkers: threads, threads });
    const destroy = () => executor.shutdown({ wait: true });
    if (form === 'submit().result()')
      return { call: (x) => executor.submit(inc, x).result(), destroy };
    return { call: (x) => executor.submit(inc, x), destroy };
  }
  const pool = new ThreadPool({ workers: threads, threads });
  const destroy = async () => {
    await pool.terminate();
    await pool.join();
  };
  switch (form) {
    case 'await apply()':
      return { call: (x) => pool.apply(inc, [x]), destroy };
    case 'applyAsync().get()':
      return { call: (x) => pool.applyAsync(inc, [x]).get(), destroy };
    case 'await applyAsync()':
      return { call: (x) => pool.applyAsync(inc, [x]), destroy };
  }
}

async function roundTrips(spec: ChildSpec<'latency'>): Promise<RoundTrip> {
  if (spec.pool === 'spindle' && spec.variant !== undefined) {
    const form = LATENCY_FORMS.find((f) => f === spec.variant);
    if (form === undefined) throw new Error(`unknown spindle form "${spec.variant}"`);
    return spindleForm(form, spec.threads);
  }
  const pool = (await loadPool(spec.pool)).create(spec.threads);
  return { call: (x) => pool.call(x), destroy: () => pool.destroy() };
}

export async function run(spec: ChildSpec<'latency'>): Promise<Measurement> {
  const { warmup, trips } = spec.params;
  const pool = await roundTrips(spec);
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
