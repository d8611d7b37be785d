// The benchmark's own bookkeeping, without running a pool: samples to rows (one per variant),
// each row against its reference, the goals' verdicts (the best peer chosen per metric), the
// skipping of sizes that would take too long, and the SVG plots.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOptions } from '../../bench/lib/args.js';
import { evaluateGoals } from '../../bench/lib/goals.js';
import { renderChart } from '../../bench/lib/plot.js';
import { renderText } from '../../bench/lib/report.js';
import { laneOf, reportWorkload, type WorkloadRun } from '../../bench/lib/results.js';
import type { Sample } from '../../bench/lib/runner.js';
import { WORKLOADS } from '../../bench/lib/workloads.js';
import type { Participant } from '../../bench/shared/protocol.js';

const ok = (metrics: Record<string, number>, wallMs = 1000): Sample => ({
  ok: true,
  result: { metrics },
  wallMs,
});

function runOf(id: string, rows: [Participant, string | undefined, Sample[]][]): WorkloadRun {
  const def = WORKLOADS.find((w) => w.id === id)!;
  const lanes = rows.map(([p, v]) => laneOf(p, v));
  return {
    def,
    shape: 'test',
    rounds: 1,
    plannedRounds: 1,
    lanes,
    samples: new Map(rows.map(([p, v, samples]) => [laneOf(p, v).label, samples])),
    skipped: new Map(),
    loads: [],
  };
}

describe('bench results and goals', () => {
  test('latency: each spindle form is a row, judged against the best peer on each metric', () => {
    const report = reportWorkload(
      runOf('latency', [
        ['spindle', 'await apply()', [ok({ p50Us: 10, p99Us: 90 }), ok({ p50Us: 14, p99Us: 70 })]],
        ['spindle', 'await submit()', [ok({ p50Us: 30, p99Us: 300 })]],
        // piscina has the best p50, poolifier the best p99: each goal uses its own best.
        ['piscina', undefined, [ok({ p50Us: 20, p99Us: 200 })]],
        ['poolifier', undefined, [ok({ p50Us: 25, p99Us: 100 })]],
        // raw-echo is faster than every pool, but it is the floor, not a peer.
        ['raw-echo', undefined, [ok({ p50Us: 5, p99Us: 20 })]],
      ]),
    );
    assert.deepEqual(
      report.rows.map((r) => r.label),
      ['spindle await apply()', 'spindle await submit()', 'piscina', 'poolifier', 'raw-echo'],
    );
    assert.equal(report.rows[0]!.metrics.p50Us!.median, 12);
    assert.equal(report.bestPeer, 'piscina');
    assert.equal(report.rows[0]!.vsReference, 12 / 20);

    const goals = evaluateGoals([report]);
    const apply = goals.filter((g) => g.goal.startsWith('await apply()'));
    assert.deepEqual(
      apply.map((g) => [g.reference?.label, g.ratio, g.met]),
      [
        ['piscina', 12 / 20, true],
        ['poolifier', 80 / 100, true],
      ],
    );
    const submit = goals.filter((g) => g.goal.startsWith('await submit()'));
    assert.deepEqual(
      submit.map((g) => g.met),
      [false, false],
    );
    // A form that was not measured has no verdict rather than a wrong one.
    const get = goals.find((g) => g.goal.startsWith('applyAsync().get(): p50'))!;
    assert.equal(get.met, undefined);
  });

  test('HTTP: each W against Python at the same W; failed runs are noted', () => {
    const report = reportWorkload(
      runOf('http', [
        ['spindle', 'W=10', [ok({ totalMs: 5600 })]],
        ['spindle', 'W=100', [ok({ totalMs: 500 }), { ok: false, error: 'boom', wallMs: 1 }]],
        ['python', 'W=10', [ok({ totalMs: 5200 })]],
        ['python', 'W=100', [ok({ totalMs: 800 })]],
      ]),
    );
    const row = (label: string) => report.rows.find((r) => r.label === label)!;
    assert.equal(row('spindle W=10').vsReference, 5600 / 5200);
    assert.equal(row('spindle W=100').vsReference, 500 / 800);
    assert.ok(row('spindle W=100').notes.includes('1 of 2 runs failed'));
    const goals = evaluateGoals([report]);
    assert.deepEqual(
      goals.map((g) => g.met),
      [false, true, undefined],
    );
  });

  test('a reported-only goal has a value and no verdict', () => {
    const report = reportWorkload(
      runOf('throughput', [
        [
          'spindle',
          undefined,
          [ok({ tasksPerSec: 300_000, peakRssMb: 100, extraBytesPerTask: 150 })],
        ],
        ['poolifier', undefined, [ok({ tasksPerSec: 40_000, peakRssMb: 500 })]],
        ['raw-echo', undefined, [ok({ tasksPerSec: 400_000, peakRssMb: 80 })]],
      ]),
    );
    const goals = evaluateGoals([report]);
    const byGoal = new Map(goals.map((g) => [g.goal, g]));
    assert.equal(byGoal.get("tasks/s at least 10× poolifier's")!.met, false);
    assert.equal(byGoal.get('tasks/s at least 0.7× a raw worker_threads echo')!.met, true);
    const heap = byGoal.get('heap bytes per task in flight beyond a bare promise')!;
    assert.equal(heap.spindle, 150);
    assert.equal(heap.met, undefined);
    assert.equal(heap.target, 'reported');
  });

  test('a goal is also held against its floors, the same work with no pool: the best one is reported', () => {
    const report = reportWorkload(
      runOf('http', [
        ['spindle', 'W=100', [ok({ totalMs: 800 })]],
        ['python', 'W=100', [ok({ totalMs: 660 })]],
        ['node-main', 'W=100', [ok({ totalMs: 640 })]],
        ['raw-threads', 'W=100', [ok({ totalMs: 790 })]],
        ['spindle', 'W=1000', [ok({ totalMs: 500 })]],
        ['python', 'W=1000', [ok({ totalMs: 900 })]],
        ['raw-threads', 'W=1000', [ok({ totalMs: 450 })]],
      ]),
    );
    const goals = evaluateGoals([report]);
    const w100 = goals.find((g) => g.goal.includes('ThreadPool(100)'))!;
    // The lowest time of the two floors, at the same W, against the same reference (Python).
    assert.deepEqual(w100.floor, { label: 'node-main W=100', ratio: 640 / 660, met: false });
    assert.equal(w100.met, false);
    const w1000 = goals.find((g) => g.goal.includes('ThreadPool(1000)'))!;
    assert.deepEqual(w1000.floor, { label: 'raw-threads W=1000', ratio: 450 / 900, met: true });
    // No floor row measured: none reported, and the verdict is spindle's alone.
    const w10 = goals.find((g) => g.goal.includes('ThreadPool(10)'))!;
    assert.equal(w10.floor, undefined);

    const text = renderText([report], goals);
    assert.match(
      text,
      /ThreadPool\(100\)\.map.*node-main W=100 0\.97×.*NOT met \(nor without a pool\)/,
    );
    assert.match(text, /ThreadPool\(1000\)\.map.*raw-threads W=1000 0\.50×.*<= 0\.8×\s+met/);
  });

  test('a floor held to a higher-is-better goal reports its highest ratio', () => {
    const report = reportWorkload(
      runOf('throughput', [
        ['spindle', undefined, [ok({ tasksPerSec: 300_000, peakRssMb: 200 })]],
        ['poolifier', undefined, [ok({ tasksPerSec: 40_000, peakRssMb: 500 })]],
        ['tinypool', undefined, [ok({ tasksPerSec: 8_000, peakRssMb: 250 })]],
        ['raw-echo', undefined, [ok({ tasksPerSec: 800_000, peakRssMb: 140 })]],
      ]),
    );
    const byGoal = new Map(evaluateGoals([report]).map((g) => [g.goal, g]));
    const tasks = byGoal.get("tasks/s at least 10× poolifier's")!;
    assert.deepEqual(tasks.floor, { label: 'raw-echo', ratio: 20, met: true });
    const rss = byGoal.get("peak RSS at most 0.6× tinypool's")!;
    assert.deepEqual(rss.floor, { label: 'raw-echo', ratio: 140 / 250, met: true });
    assert.equal(rss.met, false);
  });

  test('scaling: a size is skipped when the smaller one projects past the budget', () => {
    const scaling = WORKLOADS.find((w) => w.id === 'scaling')!;
    const options = parseOptions([])!;
    const took = (elapsedMs: number) => ok({ elapsedMs, tasks: 100_000 });
    assert.equal(scaling.skipVariant!(options, '1M', took(2_000)), undefined);
    assert.match(scaling.skipVariant!(options, '1M', took(7_000))!, /would take ~70 s/);
    assert.equal(
      scaling.skipVariant!(options, '1M', { ok: false, error: 'x', wallMs: 1 }),
      'the smaller size failed',
    );
    // The first size and the imap row are never skipped.
    assert.equal(scaling.skipVariant!(options, '10k', undefined), undefined);
    assert.equal(scaling.skipVariant!(options, 'imap', took(1e9)), undefined);
  });

  test('plot: one polyline per series, points on log axes, text escaped', () => {
    const svg = renderChart({
      title: 'a < b & c',
      caption: 'test',
      xLabel: 'tasks',
      yLabel: 'tasks/s',
      series: [
        {
          name: 'spindle',
          points: [
            [10_000, 100_000],
            [100_000, 200_000],
            [1_000_000, 400_000],
          ],
        },
        { name: 'piscina', points: [[10_000, 20_000]] },
      ],
    });
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(svg.includes('a &lt; b &amp; c'));
    assert.equal(svg.match(/<polyline /g)?.length, 2);
    assert.equal(svg.match(/<circle /g)?.length, 4);
    // Decade ticks cover the data: 10k..1M on x, 10k..1M on y.
    for (const label of ['>10k<', '>100k<', '>1M<']) assert.ok(svg.includes(label), label);
    // x of 10k is the left edge, 1M the right edge, 100k half-way between.
    const xs = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].slice(0, 3).map((m) => Number(m[1]));
    assert.ok(Math.abs(xs[1]! - (xs[0]! + xs[2]!) / 2) < 0.2, String(xs));
    assert.equal(renderChart({ title: '', caption: '', xLabel: '', yLabel: '', series: [] }), '');
  });
});
