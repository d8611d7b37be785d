// The workloads as the parent sees them: who takes part (and in which variants), how many
// rounds, what sizes (full or --quick), what the child reports and which way is better. The
// definitions themselves are in bench/lib/defs/, by kind.
import type { Participant, WorkloadId, WorkloadParams } from '../shared/protocol.js';
import type { Options } from './args.js';
import { FORMS_WORKLOADS } from './defs/forms.js';
import { POOL_WORKLOADS } from './defs/pools.js';
import { PROCESS_WORKLOADS } from './defs/processes.js';
import { PYTHON_GUIDE_WORKLOADS } from './defs/python-guide.js';
import { REDIS_WORKLOADS } from './defs/redis.js';
import { SCALING_WORKLOADS } from './defs/scaling.js';
import type { Sample } from './runner.js';

export type Better = 'higher' | 'lower';

export interface MetricDef {
  key: string;
  label: string;
  better: Better;
  format: 'rate' | 'ms' | 'us' | 'mb' | 'ratio' | 'count' | 'percent' | 'bytes';
}

export interface Prepared<W extends WorkloadId> {
  params: WorkloadParams[W];
  /** One line for the report on what this run's parameters were. */
  shape: string;
  /**
   * Rows one child reports at once (`lanes` of its result), for forms measured side by side
   * in one process. Exclusive with the workload's `variants`.
   */
  childLanes?: Partial<Record<Participant, readonly string[]>>;
  dispose?: () => Promise<void>;
}

export interface WorkloadDef<W extends WorkloadId> {
  id: W;
  no: number;
  title: string;
  /** What it measures, for docs/benchmarks.md. */
  measures: string;
  participants: readonly Participant[];
  /**
   * Variants each participant is measured in (a form of call, a size), one child process per
   * variant and round, in this order; one row per variant. None: one row per participant.
   */
  variants?: (o: Options) => Partial<Record<Participant, readonly string[]>>;
  /**
   * Why a participant's variant is not run, given the sample of its previous variant (sizes
   * that grow: skip what would take too long), or undefined to run it.
   */
  skipVariant?: (o: Options, variant: string, previous: Sample | undefined) => string | undefined;
  /**
   * What the table's last column compares each row's headline with: the best peer (default),
   * the row of the same variant of a participant, or nothing (null).
   */
  reference?: 'best peer' | Participant | null;
  /** The first metric is the workload's headline (used for the last column). */
  metrics: readonly MetricDef[];
  /** Why it cannot run on this machine (a server it needs is missing), or undefined. */
  unavailable?: () => string | undefined;
  rounds: (o: Options) => number;
  /** No new round starts when it would likely end past this many seconds (at least 1 round). */
  budgetS?: (o: Options) => number;
  timeoutMs: (o: Options) => number;
  prepare: (o: Options) => Promise<Prepared<W>>;
}

export type AnyWorkloadDef = { [W in WorkloadId]: WorkloadDef<W> }[WorkloadId];

export const WORKLOADS: readonly AnyWorkloadDef[] = [
  ...POOL_WORKLOADS,
  ...PYTHON_GUIDE_WORKLOADS,
  ...FORMS_WORKLOADS,
  ...SCALING_WORKLOADS,
  ...PROCESS_WORKLOADS,
  ...REDIS_WORKLOADS,
].sort((a, b) => a.no - b.no);
