// The goals of issue 5, each a ratio (or a value) from the same run.
import type { Participant, WorkloadId } from '../shared/protocol.js';
import { medianOf, type WorkloadReport } from './results.js';
import type { MetricDef } from './workloads.js';

interface GoalDef {
  workload: WorkloadId;
  metric: string;
  goal: string;
  /** Compared with another participant's median, the best peer's, or a fixed value. */
  against: Participant | 'best peer' | 'value';
  op: '>=' | '<=' | '<';
  target: number;
  /** The issue's own measurement, for context. */
  issueBaseline: string;
}

const GOALS: readonly GoalDef[] = [
  {
    workload: 'throughput',
    metric: 'tasksPerSec',
    goal: "tasks/s at least 3× poolifier's",
    against: 'poolifier',
    op: '>=',
    target: 3,
    issueBaseline: 'poolifier 63.5k, piscina 32.6k, tinypool 10.6k, workerpool 8.7k, Python 83.5k',
  },
  {
    workload: 'throughput',
    metric: 'peakRssMb',
    goal: "peak RSS at most half of tinypool's",
    against: 'tinypool',
    op: '<=',
    target: 0.5,
    issueBaseline: 'tinypool 286 MB, piscina 483 MB',
  },
  {
    workload: 'bulk',
    metric: 'itemsPerSec',
    goal: "map items/s at least Python's",
    against: 'python',
    op: '>=',
    target: 1,
    issueBaseline: 'Python 10.7M items/s',
  },
  {
    workload: 'latency',
    metric: 'p50Us',
    goal: "p50 at most 0.6× the best peer's",
    against: 'best peer',
    op: '<=',
    target: 0.6,
    issueBaseline: 'piscina 24.9 µs, workerpool 23.6 µs',
  },
  {
    workload: 'cpu',
    metric: 'speedup',
    goal: 'speed-up at least 1.9 on 2 threads',
    against: 'value',
    op: '>=',
    target: 1.9,
    issueBaseline: 'best 1.84 (poolifier)',
  },
  {
    workload: 'startup',
    metric: 'startupMs',
    goal: "new→first result at most 0.8× piscina's",
    against: 'piscina',
    op: '<=',
    target: 0.8,
    issueBaseline: 'piscina 31.8 ms',
  },
  {
    workload: 'portscan',
    metric: 'totalMs',
    goal: "ThreadPool(1024) scan at most half of Python's time",
    against: 'python',
    op: '<=',
    target: 0.5,
    issueBaseline: 'Python 189 ms',
  },
  {
    workload: 'imap',
    metric: 'rssGrowthMb',
    goal: 'RSS growth under 100 MB',
    against: 'value',
    op: '<',
    target: 100,
    issueBaseline: '',
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
  /** undefined when the run lacks a number it needs. */
  met: boolean | undefined;
  issueBaseline: string;
}

function holds(op: GoalDef['op'], value: number, target: number): boolean {
  return op === '>=' ? value >= target : op === '<=' ? value <= target : value < target;
}

export function evaluateGoals(reports: readonly WorkloadReport[]): GoalResult[] {
  return GOALS.flatMap((g): GoalResult[] => {
    const report = reports.find((r) => r.id === g.workload);
    if (report === undefined) return [];
    const metric = report.metrics.find((m) => m.key === g.metric);
    const spindle = medianOf(report, 'spindle', g.metric);
    const base = { no: report.no, workload: g.workload, goal: g.goal, metric, spindle };
    const issueBaseline = g.issueBaseline;
    if (g.against === 'value') {
      const met = spindle === undefined ? undefined : holds(g.op, spindle, g.target);
      const target = `${g.op} ${g.target}`;
      return [{ ...base, reference: undefined, ratio: undefined, target, met, issueBaseline }];
    }
    const who = g.against === 'best peer' ? report.bestPeer : g.against;
    const value = who === undefined ? undefined : medianOf(report, who, g.metric);
    const reference = who === undefined || value === undefined ? undefined : { label: who, value };
    const ratio =
      spindle === undefined || reference === undefined ? undefined : spindle / reference.value;
    const met = ratio === undefined ? undefined : holds(g.op, ratio, g.target);
    const target = `${g.op} ${g.target}×`;
    return [{ ...base, reference, ratio, target, met, issueBaseline }];
  });
}
