// The performance goals, each a ratio (or a value) of medians from the same run.

import type { WorkloadId } from '../shared/protocol.js';
import { LATENCY_FORMS } from '../shared/variants.js';
import { bestPeerRow, type Row, type WorkloadReport } from './results.js';
import type { MetricDef } from './workloads.js';

interface GoalDef {
  workload: WorkloadId;
  /** The row judged (default `spindle`). */
  subject?: string;
  metric: string;
  goal: string;
  /** Another row's median (by label), the best peer's on this metric, or a fixed value. */
  against: string | 'best peer' | 'value';
  /** `info`: reported, no verdict. */
  op: '>=' | '<=' | '<' | 'info';
  target: number;
  /** Earlier numbers from a quieter machine, for context. */
  context: string;
  /**
   * Rows of the same run that do the same work with no pool (the floors): each is held to the
   * same reference, and the best of them is reported beside spindle. A goal its floor misses is
   * out of reach for any pool on that machine.
   */
  floors?: readonly string[];
}

const latencyGoals: GoalDef[] = LATENCY_FORMS.flatMap((form): GoalDef[] => [
  {
    workload: 'latency',
    subject: `spindle ${form}`,
    metric: 'p50Us',
    goal: `${form}: p50 at most 0.7× the best peer's`,
    against: 'best peer',
    op: '<=',
    target: 0.7,
    context: form === 'applyAsync().get()' ? 'spindle 25.6 µs, piscina 18.9, poolifier 19.0' : '',
    floors: ['raw-echo'],
  },
  {
    workload: 'latency',
    subject: `spindle ${form}`,
    metric: 'p99Us',
    goal: `${form}: p99 at most the best peer's`,
    against: 'best peer',
    op: '<=',
    target: 1,
    context: form === 'applyAsync().get()' ? 'spindle 292 µs, piscina 178, poolifier 134' : '',
    floors: ['raw-echo'],
  },
]);

const httpGoals: GoalDef[] = [10, 100, 1000].map((w) => ({
  workload: 'http',
  subject: `spindle W=${w}`,
  metric: 'totalMs',
  goal: `HTTP GETs, ThreadPool(${w}).map: at most 0.8× Python's time`,
  against: `python W=${w}`,
  op: '<=',
  target: 0.8,
  context:
    w === 100
      ? 'Python 666–681 ms, spindle 805–833 ms'
      : w === 1000
        ? 'Python 871–1,016 ms, spindle 560–604 ms'
        : '',
  floors: [`node-main W=${w}`, `raw-threads W=${w}`],
}));

const GOALS: readonly GoalDef[] = [
  ...latencyGoals,
  {
    workload: 'startup',
    metric: 'startupMs',
    goal: "new→first result at most 0.7× piscina's",
    against: 'piscina',
    op: '<=',
    target: 0.7,
    context: 'spindle 28.5 ms, piscina 32.7 ms',
    floors: ['raw-echo'],
  },
  {
    workload: 'throughput',
    metric: 'tasksPerSec',
    goal: "tasks/s at least 10× poolifier's",
    against: 'poolifier',
    op: '>=',
    target: 10,
    context: 'spindle 554k, poolifier 58.3k',
    floors: ['raw-echo'],
  },
  {
    workload: 'throughput',
    metric: 'tasksPerSec',
    goal: 'tasks/s at least 0.7× a raw worker_threads echo',
    against: 'raw-echo',
    op: '>=',
    target: 0.7,
    context: '',
  },
  {
    workload: 'throughput',
    metric: 'peakRssMb',
    goal: "peak RSS at most 0.6× tinypool's",
    against: 'tinypool',
    op: '<=',
    target: 0.6,
    context: '0.83× (238 vs 286 MB)',
    floors: ['raw-echo'],
  },
  {
    workload: 'throughput',
    metric: 'extraBytesPerTask',
    goal: 'heap bytes per task in flight beyond a bare promise',
    against: 'value',
    op: 'info',
    target: 0,
    context: '~470 B',
  },
  {
    workload: 'bulk',
    metric: 'itemsPerSec',
    goal: "map items/s at least Python's",
    against: 'python',
    op: '>=',
    target: 1,
    context: 'Python 10.7M items/s',
  },
  {
    workload: 'cpu',
    metric: 'speedup',
    goal: 'speed-up at least 1.9 on 2 threads',
    against: 'value',
    op: '>=',
    target: 1.9,
    context: 'spindle 2.02, piscina 1.69, poolifier 1.78',
  },
  {
    workload: 'portscan',
    metric: 'totalMs',
    goal: "ThreadPool(1024) scan at most half of Python's time",
    against: 'python',
    op: '<=',
    target: 0.5,
    context: '0.54×',
    floors: ['node-main', 'raw-threads'],
  },
  {
    workload: 'imap',
    metric: 'rssGrowthMb',
    goal: 'imap RSS growth under 100 MB (time budget)',
    against: 'value',
    op: '<',
    target: 100,
    context: '',
  },
  ...httpGoals,
  {
    workload: 'forms',
    subject: 'spindle applyAsync',
    metric: 'baselineCost',
    goal: 'always-on stats and control: cost vs the build before them',
    against: 'value',
    op: '<=',
    target: 0.03,
    context: '',
  },
  ...(
    [
      ['applyAsync, timings: true', 'timings: true'],
      ['applyAsync + signal', 'a signal per call'],
      ['applyAsync + timeout', 'a timeout per call'],
    ] as const
  ).map(
    ([lane, feature]): GoalDef => ({
      workload: 'forms',
      subject: `spindle ${lane}`,
      metric: 'cost',
      goal: `${feature}: time per call vs plain applyAsync`,
      against: 'value',
      op: 'info',
      target: 0,
      context: '',
    }),
  ),
  {
    workload: 'scaling',
    subject: 'spindle 1M',
    metric: 'tasksPerSec',
    goal: 'tasks/s at 1M tasks within 10% of 100k',
    against: 'spindle 100k',
    op: '>=',
    target: 0.9,
    context: '',
  },
  {
    workload: 'scaling',
    subject: 'spindle 1M',
    metric: 'rssBytesPerTask',
    goal: 'RSS per task in flight at 1M at most 1.1× that at 100k',
    against: 'spindle 100k',
    op: '<=',
    target: 1.1,
    context: '',
  },
  {
    workload: 'scaling',
    subject: 'spindle imap',
    metric: 'rssGrowthMb',
    goal: 'imap over 10M items: RSS growth under 100 MB',
    against: 'value',
    op: '<',
    target: 100,
    context: '',
  },
  {
    workload: 'processes',
    metric: 'tasksPerSec',
    goal: "ProcessPool tasks/s at least 3× the best peer's (process modes)",
    against: 'best peer',
    op: '>=',
    target: 3,
    context: '',
  },
  {
    workload: 'processes',
    metric: 'speedup',
    goal: 'ProcessPool speed-up at least 1.9 on 2 processes (vs 1)',
    against: 'value',
    op: '>=',
    target: 1.9,
    context: '',
  },
  {
    workload: 'processes',
    metric: 'p50Us',
    goal: "ProcessPool round-trip p50 vs the best peer's",
    against: 'best peer',
    op: 'info',
    target: 0,
    context: '',
  },
  {
    workload: 'processes',
    metric: 'startupMs',
    goal: "ProcessPool new→first result vs the best peer's",
    against: 'best peer',
    op: 'info',
    target: 0,
    context: '',
  },
];

export interface GoalResult {
  no: number;
  workload: WorkloadId;
  goal: string;
  metric: MetricDef | undefined;
  spindle: number | undefined;
  /** Who or what spindle is compared with, and its median. */
  reference: { label: string; value: number } | undefined;
  /** spindle / reference (undefined for fixed-value goals). */
  ratio: number | undefined;
  target: string;
  /** undefined when the run lacks a number it needs, or the goal is only reported. */
  met: boolean | undefined;
  context: string;
  /** The best floor (no pool) on the same ratio, and whether it meets the target. */
  floor: { label: string; ratio: number; met: boolean | undefined } | undefined;
}

function holds(op: GoalDef['op'], value: number, target: number): boolean | undefined {
  if (op === 'info') return undefined;
  return op === '>=' ? value >= target : op === '<=' ? value <= target : value < target;
}

function median(row: Row | undefined, key: string): number | undefined {
  return row?.metrics[key]?.median;
}

export function evaluateGoals(reports: readonly WorkloadReport[]): GoalResult[] {
  const byWorkload = [...GOALS].sort(
    (a, b) =>
      reports.findIndex((r) => r.id === a.workload) - reports.findIndex((r) => r.id === b.workload),
  );
  return byWorkload.flatMap((g): GoalResult[] => {
    const report = reports.find((r) => r.id === g.workload);
    if (report === undefined) return [];
    const metric = report.metrics.find((m) => m.key === g.metric);
    const row = (label: string) => report.rows.find((r) => r.label === label);
    const spindle = median(row(g.subject ?? 'spindle'), g.metric);
    const base = { no: report.no, workload: g.workload, goal: g.goal, metric, spindle };
    const context = g.context;
    if (g.against === 'value') {
      const met = spindle === undefined ? undefined : holds(g.op, spindle, g.target);
      const target = g.op === 'info' ? 'reported' : `${g.op} ${g.target}`;
      return [
        { ...base, reference: undefined, ratio: undefined, target, met, context, floor: undefined },
      ];
    }
    const against =
      g.against === 'best peer' && metric !== undefined
        ? bestPeerRow(report.rows, metric)
        : row(g.against);
    const value = median(against, g.metric);
    const reference =
      against === undefined || value === undefined ? undefined : { label: against.label, value };
    const ratio =
      spindle === undefined || reference === undefined ? undefined : spindle / reference.value;
    const met = ratio === undefined ? undefined : holds(g.op, ratio, g.target);
    const target = g.op === 'info' ? 'reported' : `${g.op} ${g.target}×`;
    const floor = reference === undefined ? undefined : bestFloor(g, reference.value, row);
    return [{ ...base, reference, ratio, target, met, context, floor }];
  });
}

/** The floor row whose ratio to the reference comes nearest the target (see GoalDef.floors). */
function bestFloor(
  g: GoalDef,
  referenceValue: number,
  row: (label: string) => Row | undefined,
): GoalResult['floor'] {
  let best: GoalResult['floor'];
  for (const label of g.floors ?? []) {
    const value = median(row(label), g.metric);
    if (value === undefined) continue;
    const ratio = value / referenceValue;
    const better = best === undefined || (g.op === '>=' ? ratio > best.ratio : ratio < best.ratio);
    if (better) best = { label, ratio, met: holds(g.op, ratio, g.target) };
  }
  return best;
}
