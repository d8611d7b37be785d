// From raw samples (one per child process) to per-row summaries. A row is one participant, or
// one variant of a participant (a form of call, a size) when the workload has variants.
import { type Participant, PEERS, type WorkloadId } from '../shared/protocol.js';
import { type Summary, summarize } from '../shared/stats.js';
import type { Sample } from './runner.js';
import type { AnyWorkloadDef, MetricDef } from './workloads.js';

/** What one row of a workload measures: a participant, in one variant or its only form. */
export interface Lane {
  label: string;
  participant: Participant;
  variant: string | undefined;
}

export function laneOf(participant: Participant, variant: string | undefined): Lane {
  const label = variant === undefined ? participant : `${participant} ${variant}`;
  return { label, participant, variant };
}

export interface WorkloadRun {
  def: AnyWorkloadDef;
  shape: string;
  rounds: number;
  plannedRounds: number;
  lanes: Lane[];
  /** Samples by lane label. */
  samples: Map<string, Sample[]>;
  skipped: Map<string, string>;
  /** The 1-minute load average as each child started. */
  loads: number[];
}

export interface Row extends Lane {
  metrics: Record<string, Summary>;
  /** Headline median relative to the reference row's (value / reference). */
  vsReference: number | undefined;
  runs: number;
  errors: string[];
  notes: string[];
}

export interface WorkloadReport {
  id: WorkloadId;
  no: number;
  title: string;
  shape: string;
  rounds: number;
  plannedRounds: number;
  /** Range of the 1-minute load average over the workload (2 cores: above 2 means contention). */
  load: { min: number; max: number } | undefined;
  metrics: readonly MetricDef[];
  /** What the last column compares with: the best peer, or a participant's row of the same variant. */
  reference: 'best peer' | Participant | undefined;
  bestPeer: string | undefined;
  rows: Row[];
  skipped: { label: string; reason: string }[];
}

function rowOf(lane: Lane, samples: Sample[], metrics: readonly MetricDef[]): Row {
  const summaries: Record<string, Summary> = {};
  for (const { key } of metrics) {
    const values = samples.flatMap((s) =>
      s.ok && key in s.result.metrics ? [s.result.metrics[key]!] : [],
    );
    if (values.length > 0) summaries[key] = summarize(values);
  }
  const errors = [...new Set(samples.flatMap((s) => (s.ok ? [] : [s.error])))];
  const notes = [...new Set(samples.flatMap((s) => (s.ok ? (s.result.notes ?? []) : [])))];
  const failed = samples.filter((s) => !s.ok).length;
  if (failed > 0) notes.push(`${failed} of ${samples.length} runs failed`);
  const teardowns = samples.flatMap((s) => (s.ok && s.teardownError ? [s.teardownError] : []));
  if (teardowns.length > 0) {
    const first = teardowns[0]!.split('\n')[0];
    notes.push(
      `stopping the pool failed after ${teardowns.length} of ${samples.length} runs (${first})`,
    );
  }
  return {
    ...lane,
    metrics: summaries,
    vsReference: undefined,
    runs: samples.length,
    errors,
    notes,
  };
}

const isPeer = (p: Participant) => (PEERS as readonly string[]).includes(p);

/** The peer row with the best median of a metric (ties: the first). */
export function bestPeerRow(rows: readonly Row[], metric: MetricDef): Row | undefined {
  let best: Row | undefined;
  for (const row of rows) {
    const value = row.metrics[metric.key]?.median;
    if (!isPeer(row.participant) || value === undefined) continue;
    const bestValue = best?.metrics[metric.key]?.median;
    const better = metric.better === 'higher' ? value > bestValue! : value < bestValue!;
    if (bestValue === undefined || better) best = row;
  }
  return best;
}

/** Summarizes one workload: medians with min–max, and each row against its reference. */
export function reportWorkload(run: WorkloadRun): WorkloadReport {
  const { def } = run;
  const rows = run.lanes
    .filter((lane) => run.samples.has(lane.label))
    .map((lane) => rowOf(lane, run.samples.get(lane.label)!, def.metrics));
  const headline = def.metrics[0]!;
  const reference = def.reference ?? 'best peer';
  const best = reference === 'best peer' ? bestPeerRow(rows, headline) : undefined;
  for (const row of rows) {
    const value = row.metrics[headline.key]?.median;
    const against =
      reference === 'best peer'
        ? best
        : rows.find((r) => r.participant === reference && r.variant === row.variant);
    const base = against?.metrics[headline.key]?.median;
    if (value !== undefined && base !== undefined) row.vsReference = value / base;
  }
  return {
    id: def.id,
    no: def.no,
    title: def.title,
    shape: run.shape,
    rounds: run.rounds,
    plannedRounds: run.plannedRounds,
    load:
      run.loads.length > 0
        ? { min: Math.min(...run.loads), max: Math.max(...run.loads) }
        : undefined,
    metrics: def.metrics,
    reference: def.reference === null ? undefined : reference,
    bestPeer: best?.label,
    rows,
    skipped: [...run.skipped].map(([label, reason]) => ({ label, reason })),
  };
}

/** The median of a row's metric in a workload report, if it was measured. */
export function medianOf(
  report: WorkloadReport | undefined,
  label: string,
  key: string,
): number | undefined {
  return report?.rows.find((r) => r.label === label)?.metrics[key]?.median;
}
