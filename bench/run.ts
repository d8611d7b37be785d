// `npm run bench`: every workload of issue 5 for every pool, each measurement in a fresh child
// process, pools interleaved round by round; a table on stdout, bench/results/latest.json, and
// the same tables as Markdown in bench/results/latest.md. See docs/benchmarks.md.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type Options, parseOptions, USAGE } from './lib/args.js';
import {
  buildChildScripts,
  ensureSpindleBuilt,
  snapshotSpindle,
  spindleRevision,
} from './lib/build.js';
import { evaluateGoals } from './lib/goals.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { PYTHON_SCRIPT, RESULTS_DIR } from './lib/paths.js';
import { formatValue, renderMarkdown, renderText } from './lib/report.js';
import { reportWorkload, type WorkloadRun } from './lib/results.js';
import { runChild, type Sample } from './lib/runner.js';
import { type AnyWorkloadDef, WORKLOADS } from './lib/workloads.js';
import type { ChildSpec, Participant } from './shared/protocol.js';

function progress(def: AnyWorkloadDef, round: string, who: Participant, sample: Sample): void {
  const headline = def.metrics[0]!;
  const outcome = sample.ok
    ? `${formatValue(sample.result.metrics[headline.key], headline.format)} ${headline.label}`
    : `FAILED: ${sample.error.split('\n')[0]}`;
  const seconds = (sample.wallMs / 1000).toFixed(1);
  process.stderr.write(
    `  [${def.no} ${def.id}] ${round} ${who.padEnd(11)} ${outcome} (${seconds} s)\n`,
  );
}

function command(who: Participant, spec: ChildSpec, childScript: string): [string, string[]] {
  const json = JSON.stringify(spec);
  return who === 'python'
    ? ['python3', [PYTHON_SCRIPT, json]]
    : [process.execPath, [childScript, json]];
}

async function runWorkload(
  def: AnyWorkloadDef,
  options: Options,
  childScript: string,
  unavailable: ReadonlyMap<Participant, string>,
): Promise<WorkloadRun> {
  const participants = def.participants.filter((p) => options.pools.includes(p));
  const active = participants.filter((p) => !unavailable.has(p));
  const skipped = new Map(
    participants.flatMap((p) => (unavailable.has(p) ? [[p, unavailable.get(p)!] as const] : [])),
  );
  const planned = options.rounds ?? def.rounds(options);
  const budgetMs =
    options.rounds === undefined && def.budgetS ? def.budgetS(options) * 1000 : Infinity;
  const t0 = performance.now();
  let rounds = 0;
  const samples = new Map<Participant, Sample[]>(active.map((p) => [p, []]));
  const loads: number[] = [];
  const prepared = await def.prepare(options);
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
        const spec = {
          workload: def.id,
          pool: who,
          threads: options.threads,
          params: prepared.params,
        };
        const [cmd, args] = command(who, spec as ChildSpec, childScript);
        loads.push(loadavg()[0]!);
        const sample = await runChild(cmd, args, def.timeoutMs(options));
        if (sample.ok) sample.result.metrics.processMs = sample.wallMs;
        samples.get(who)!.push(sample);
        progress(def, `${round}/${planned}`, who, sample);
      }
    }
  } finally {
    await prepared.dispose?.();
  }
  return { def, shape: prepared.shape, rounds, plannedRounds: planned, samples, skipped, loads };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let options: Options | undefined;
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === undefined) return;
  const started = new Date();
  const machine = describeMachine();
  const commandLine = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  process.stderr.write(
    `${commandLine}: ${machineLine(machine)}, load ${machine.loadAverage.join(' ')}\n`,
  );

  const unavailable = new Map<Participant, string>();
  const childScript = await buildChildScripts();
  let spindle = 'not measured';
  if (options.pools.includes('spindle')) {
    const problem = await ensureSpindleBuilt(options.build);
    if (problem === undefined) {
      spindle = spindleRevision();
      await snapshotSpindle();
    } else unavailable.set('spindle', problem);
  }
  if (machine.python === undefined) unavailable.set('python', 'python3 not found');

  const runs: WorkloadRun[] = [];
  for (const def of WORKLOADS.filter((w) => options.workloads.includes(w.id))) {
    runs.push(await runWorkload(def, options, childScript, unavailable));
  }
  const reports = runs.map(reportWorkload);
  const goals = evaluateGoals(reports);
  const durationS = Math.round((Date.now() - started.getTime()) / 1000);

  const date = started.toISOString().slice(0, 16).replace('T', ' ');
  const preamble =
    `Measured ${date} UTC on ${machineLine(machine)} (load average at start ` +
    `${machine.loadAverage.join(', ')}), spindle at ${spindle}, with \`${commandLine}\`: ` +
    `${options.threads} threads per pool, ${durationS} s in all.`;
  process.stdout.write(`\n${preamble}\n\n${renderText(reports, goals)}`);

  await mkdir(RESULTS_DIR, { recursive: true });
  const jsonPath = options.out ?? join(RESULTS_DIR, 'latest.json');
  const json = {
    meta: {
      date: started.toISOString(),
      command: commandLine,
      spindle,
      options,
      machine,
      durationS,
    },
    workloads: reports.map((report, i) => ({
      ...report,
      samples: Object.fromEntries(runs[i]!.samples),
    })),
    goals,
  };
  await writeFile(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  const mdPath = join(RESULTS_DIR, 'latest.md');
  await writeFile(mdPath, renderMarkdown(reports, goals, preamble));
  process.stderr.write(`\nwrote ${jsonPath} and ${mdPath}\n`);
}

await main();
