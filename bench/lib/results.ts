// From raw samples (one per child process) to per-participant summaries.
import { type Participant, PEERS, type WorkloadId } from '../shared/protocol.js';
import { type Summary, summarize } from '../shared/stats.js';
import type { Sample } from './runner.js';
import type { AnyWorkloadDef, MetricDef } from './workloads.js';

export interface WorkloadRun {
  def: AnyWorkloadDef;
  shape: string;
  rounds: number;
  plannedRounds: number;
  samples: Map<Participant, Sample[]>;
  skipped: Map<Participant, string>;
  /** The 1-minute load average as each child started. */
  loads: number[];
}

export interface Row {
  participant: Participant;
  metrics: Record<string, Summary>;
  /** Headline median relative to the best peer's (value / best): >1 is more for both directions. */
  vsBestPeer: number | undefined;
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
  bestPeer: Participant | undefined;
  rows: Row[];
  skipped: { participant: Participant; reason: string }[];
}

function rowOf(participant: Participant, samples: Sample[], metrics: readonly MetricDef[]): Row {
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
    participant,
    metrics: summaries,
    vsBestPeer: undefined,
    runs: samples.length,
    errors,
    notes,
  };
}

/** Summarizes one workload: medians with min–max, and the best peer on the headline metric. */
export function reportWorkload(run: WorkloadRun): WorkloadReport {
  const { def } = run;
  const rows = [...run.samples].map(([p, samples]) => rowOf(p, samples, def.metrics));
  const headline = def.metrics[0]!;
  const better = (a: number, b: number) => (headline.better === 'higher' ? a > b : a < b);
  let bestPeer: Row | undefined;
  for (const row of rows) {
    const value = row.metrics[headline.key]?.median;
    if (!(PEERS as readonly string[]).includes(row.participant) || value === undefined) continue;
    const best = bestPeer?.metrics[headline.key]?.median;
    if (best === undefined || better(value, best)) bestPeer = row;
  }
  const bestValue = bestPeer?.metrics[headline.key]?.median;
  if (bestValue !== undefined) {
    for (const row of rows) {
      const value = row.metrics[headline.key]?.median;
      if (value !== undefined) row.vsBestPeer = value / bestValue;
    }
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
    bestPeer: bestPeer?.participant,
    rows,
    skipped: [...run.skipped].map(([participant, reason]) => ({ participant, reason })),
  };
}

/** The median of a participant's metric in a workload report, if it was measured. */
export function medianOf(
  report: WorkloadReport | undefined,
  who: Participant,
  key: string,
): number | undefined {
  return report?.rows.find((r) => r.participant === who)?.metrics[key]?.median;
}
