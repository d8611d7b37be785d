// Runs one workload: rounds of fresh child processes, every participant (and each of its
// variants) once per round, interleaved, within the workload's time budget.
import { loadavg } from 'node:os';
import type { ChildSpec, Participant } from '../shared/protocol.js';
import type { Options } from './args.js';
import { PYTHON_SCRIPT } from './paths.js';
import { formatValue } from './report.js';
import { type Lane, laneOf, type WorkloadRun } from './results.js';
import { runChild, type Sample } from './runner.js';
import type { AnyWorkloadDef } from './workloads.js';

function progress(def: AnyWorkloadDef, round: string, lane: Lane, sample: Sample): void {
  const headline = def.metrics[0]!;
  const value = sample.ok
    ? (sample.result.metrics[headline.key] ??
      Object.values(sample.result.lanes ?? {})[0]?.[headline.key])
    : undefined;
  const outcome = sample.ok
    ? `${formatValue(value, headline.format)} ${headline.label}`
    : `FAILED: ${sample.error.split('\n')[0]}`;
  const seconds = (sample.wallMs / 1000).toFixed(1);
  process.stderr.write(
    `  [${def.no} ${def.id}] ${round} ${lane.label.padEnd(11)} ${outcome} (${seconds} s)\n`,
  );
}

function command(who: Participant, spec: ChildSpec, childScript: string): [string, string[]] {
  const json = JSON.stringify(spec);
  return who === 'python'
    ? ['python3', [PYTHON_SCRIPT, json]]
    : [process.execPath, [childScript, json]];
}

/** A child that reported several lanes at once: one sample per lane. */
function splitLanes(sample: Sample, names: readonly string[]): Sample[] {
  if (!sample.ok) return names.map(() => sample);
  return names.map((name) => {
    const metrics = sample.result.lanes?.[name];
    if (metrics === undefined) {
      return { ok: false, error: `no result for "${name}"`, wallMs: sample.wallMs };
    }
    return { ...sample, result: { metrics, notes: sample.result.notes ?? [] } };
  });
}

export async function runWorkload(
  def: AnyWorkloadDef,
  options: Options,
  childScript: string,
  unavailable: ReadonlyMap<Participant, string>,
): Promise<WorkloadRun> {
  const participants = def.participants.filter((p) => options.pools.includes(p));
  const prepared = await def.prepare(options);
  const variants = def.variants?.(options) ?? {};
  const childLanes = prepared.childLanes ?? {};
  const variantsOf = (p: Participant): readonly (string | undefined)[] =>
    variants[p] ?? [undefined];
  const lanes = participants.flatMap((p) =>
    childLanes[p] ? childLanes[p].map((v) => laneOf(p, v)) : variantsOf(p).map((v) => laneOf(p, v)),
  );
  const skipped = new Map<string, string>();
  for (const lane of lanes) {
    const reason = unavailable.get(lane.participant);
    if (reason !== undefined) skipped.set(lane.label, reason);
  }
  const active = participants.filter((p) => !unavailable.has(p));
  const planned = options.rounds ?? def.rounds(options);
  const budgetMs =
    options.rounds === undefined && def.budgetS ? def.budgetS(options) * 1000 : Infinity;
  const t0 = performance.now();
  let rounds = 0;
  const samples = new Map<string, Sample[]>();
  const add = (label: string, sample: Sample) =>
    samples.set(label, [...(samples.get(label) ?? []), sample]);
  const loads: number[] = [];
  try {
    for (let round = 1; round <= planned; round++) {
      const elapsed = performance.now() - t0;
      if (round > 1 && elapsed + elapsed / (round - 1) > budgetMs) {
        process.stderr.write(
          `  [${def.no} ${def.id}] stopping after ${round - 1} rounds (time budget)\n`,
        );
        break;
      }
      rounds = round;
      for (const who of active) {
        let previous: Sample | undefined;
        for (const variant of childLanes[who] ? [undefined] : variantsOf(who)) {
          const lane = laneOf(who, variant);
          const skip =
            variant === undefined ? undefined : def.skipVariant?.(options, variant, previous);
          if (skip !== undefined) {
            if (!samples.has(lane.label)) skipped.set(lane.label, skip);
            continue;
          }
          const spec = {
            workload: def.id,
            pool: who,
            ...(variant === undefined ? {} : { variant }),
            threads: options.threads,
            params: prepared.params,
          };
          const [cmd, args] = command(who, spec as ChildSpec, childScript);
          loads.push(loadavg()[0]!);
          const sample = await runChild(cmd, args, def.timeoutMs(options));
          if (sample.ok) sample.result.metrics.processMs = sample.wallMs;
          previous = sample;
          progress(def, `${round}/${planned}`, lane, sample);
          const names = childLanes[who];
          if (names === undefined) add(lane.label, sample);
          else {
            const split = splitLanes(sample, names);
            names.forEach((name, k) => {
              add(laneOf(who, name).label, split[k]!);
            });
          }
        }
      }
    }
  } finally {
    await prepared.dispose?.();
  }
  return {
    def,
    shape: prepared.shape,
    rounds,
    plannedRounds: planned,
    lanes,
    samples,
    skipped,
    loads,
  };
}
