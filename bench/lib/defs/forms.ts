// spindle alone, every form a user writes, measured side by side in one process: the single
// task with and without the control features, the executor's forms, the map family.
import { BASELINE_LANE, FORM_LANES } from '../../shared/variants.js';
import { buildBaseline } from '../baseline.js';
import type { WorkloadDef } from '../workloads.js';
import { count } from './common.js';

const forms: WorkloadDef<'forms'> = {
  id: 'forms',
  no: 9,
  title: 'Every form, and the cost of control',
  measures:
    'spindle alone. One process per round holds a pool per kind of use (plain calls, ' +
    '`timings: true`, signals, timeouts, maps, an executor; 2 threads each) and measures blocks of N calls ' +
    'of `x => x + 1` in every form, round-robin, several cycles: `applyAsync` (all issued, then ' +
    '`Promise.all`), the same with `timings: true`, with an `AbortSignal` per call (a ' +
    'controller each), with `timeout` per call; `executor.submit` (all, then `Promise.all`), ' +
    '`wait()` and `asCompleted()` over N futures; `map`, `imap` (default chunksizes) and ' +
    '`executor.map` over N items. Calls/s is the median over the cycles; cost is the median of ' +
    "each cycle's time per call against the plain `applyAsync` block next to it. The stats " +
    'counters are always on: their cost (with the control plumbing) is measured against a ' +
    'baseline build, loaded in the same process: by default the commit before ' +
    '`src/engine/stats.ts` appeared, or `--baseline REF`.',
  participants: ['spindle'],
  reference: null,
  metrics: [
    { key: 'callsPerSec', label: 'calls/s', better: 'higher', format: 'rate' },
    { key: 'cost', label: 'time per call vs applyAsync', better: 'lower', format: 'percent' },
    { key: 'baselineCost', label: 'vs baseline build', better: 'lower', format: 'percent' },
  ],
  rounds: (o) => (o.quick ? 1 : 5),
  timeoutMs: () => 120_000,
  prepare: async (o) => {
    const sizes = o.quick
      ? { tasks: 10_000, cycles: 4, warmup: 2_000 }
      : { tasks: 10_000, cycles: 9, warmup: 5_000 };
    const shape = `${count(sizes.tasks)} calls per block, ${sizes.cycles} cycles per process`;
    const childLanes = { spindle: FORM_LANES };
    if (o.baseline === 'none') return { params: sizes, shape, childLanes };
    let baseline: { url: string; ref: string };
    try {
      baseline = await buildBaseline(o.baseline);
    } catch (error) {
      const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
      return { params: sizes, shape: `${shape}; no baseline build (${why})`, childLanes };
    }
    return {
      params: { ...sizes, baseline },
      shape: `${shape}; baseline build: ${baseline.ref}`,
      childLanes: { spindle: [...FORM_LANES, BASELINE_LANE] },
    };
  },
};

export const FORMS_WORKLOADS = [forms] as const;
