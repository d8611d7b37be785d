// `npm run bench`: every workload for every pool, each measurement in a fresh child process,
// pools interleaved round by round; a table on stdout, bench/results/latest.json, the same
// tables as Markdown in bench/results/latest.md, and the scaling plots as SVG. See
// docs/benchmarks.md.
import { mkdir, writeFile } from 'node:fs/promises';
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
import { DOCS_PLOTS_DIR, RESULTS_DIR } from './lib/paths.js';
import { writeScalingPlots } from './lib/plot.js';
import { renderMarkdown, renderText } from './lib/report.js';
import { reportWorkload, type WorkloadRun } from './lib/results.js';
import { runWorkload } from './lib/schedule.js';
import { WORKLOADS } from './lib/workloads.js';
import type { Participant } from './shared/protocol.js';

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
  const chosen = WORKLOADS.filter(
    (w) =>
      options.workloads.includes(w.id) && w.participants.some((p) => options.pools.includes(p)),
  );
  for (const def of chosen) {
    const missing = def.unavailable?.();
    if (missing !== undefined) {
      process.stderr.write(`[${def.no} ${def.id}] skipped: ${missing}\n`);
      continue;
    }
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
  // Plots of a full run are the ones docs/benchmarks.md shows; a quick run's stay in results/.
  const plotsDir = options.quick || options.out !== undefined ? RESULTS_DIR : DOCS_PLOTS_DIR;
  const plots = await writeScalingPlots(reports, plotsDir, `${date} UTC, spindle at ${spindle}`);
  if (plots.length > 0) process.stderr.write(`wrote ${plots.join(', ')}\n`);
}

await main();
