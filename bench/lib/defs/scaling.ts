// How the cost grows with the work: tasks/s and memory at 10k, 100k and 1M tasks in flight
// (one line per pool in the plots), and spindle's imap over a 10-million-item generator.
import { NODE_POOLS } from '../../shared/protocol.js';
import { SCALING_SIZES } from '../../shared/variants.js';
import type { Options } from '../args.js';
import type { Sample } from '../runner.js';
import type { WorkloadDef } from '../workloads.js';
import { count, peakRss } from './common.js';

export const IMAP_VARIANT = 'imap';

/** A size is skipped when the previous one, scaled up, would take longer than this. */
const budgetS = (o: Options) => (o.quick ? 4 : 60);

function skipVariant(
  o: Options,
  variant: string,
  previous: Sample | undefined,
): string | undefined {
  const size = SCALING_SIZES[variant];
  if (size === undefined || previous === undefined) return undefined;
  if (!previous.ok) return 'the smaller size failed';
  const done = previous.result.metrics.tasks ?? size;
  const projectedS = (previous.result.metrics.elapsedMs! / 1000) * (size / done);
  if (projectedS <= budgetS(o)) return undefined;
  return `would take ~${Math.round(projectedS)} s (budget ${budgetS(o)} s)`;
}

const scaling: WorkloadDef<'scaling'> = {
  id: 'scaling',
  no: 10,
  title: 'Scaling',
  measures:
    'The throughput workload (all tasks issued through the single-task API, then awaited) at ' +
    '10k, 100k and 1M tasks, each size in a fresh process: tasks/s, peak RSS, and RSS per task ' +
    'in flight ((peak − RSS before issuing) / tasks). A size is skipped when the previous one ' +
    'projects past the time budget. And spindle `imap` over a 10,000,000-item generator to the ' +
    'end (within a time budget): items/s and RSS growth.',
  participants: NODE_POOLS,
  variants: () => {
    const sizes = Object.keys(SCALING_SIZES);
    return {
      spindle: [...sizes, IMAP_VARIANT],
      piscina: sizes,
      poolifier: sizes,
      tinypool: sizes,
      workerpool: sizes,
      'raw-echo': sizes,
    };
  },
  skipVariant,
  reference: null,
  metrics: [
    { key: 'tasksPerSec', label: 'tasks/s', better: 'higher', format: 'rate' },
    peakRss,
    { key: 'rssBytesPerTask', label: 'RSS B/task', better: 'lower', format: 'bytes' },
    { key: 'rssGrowthMb', label: 'RSS growth MB', better: 'lower', format: 'mb' },
    { key: 'tasks', label: 'tasks', better: 'higher', format: 'count' },
  ],
  rounds: () => 1,
  timeoutMs: (o) => (o.quick ? 60_000 : 180_000),
  prepare: async (o) => {
    const params = o.quick
      ? { imapItems: 300_000, imapBudgetMs: 5_000 }
      : { imapItems: 10_000_000, imapBudgetMs: 60_000 };
    return {
      params,
      shape: `imap over ${count(params.imapItems)} items; ${budgetS(o)} s budget per process`,
    };
  },
};

export const SCALING_WORKLOADS = [scaling] as const;
