// Workload 10: how cost grows with the work. A task-count variant ('10k', '100k', '1M') issues
// that many trivial tasks at once and awaits them all, as workload 1, and reports tasks/s and
// the RSS each task in flight took; the 'imap' variant (spindle) runs `imap` over a long
// generator to its end, or to the time budget.
import { loadSpindle } from '../adapters/spindle.js';
import { expectEqual, incSum, sum } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import { loadPool } from '../child/pools.js';
import { RssSampler } from '../child/rss.js';
import type { ChildSpec } from '../shared/protocol.js';
import { SCALING_SIZES } from '../shared/variants.js';

const WARMUP = 2_000;
const MB = 1024 * 1024;

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

async function manyTasks(spec: ChildSpec<'scaling'>, tasks: number): Promise<Measurement> {
  const pool = (await loadPool(spec.pool)).create(spec.threads);
  const warm = new Array<PromiseLike<number>>(WARMUP);
  for (let i = 0; i < WARMUP; i++) warm[i] = pool.submit(i);
  expectEqual('warm-up checksum', sum(await Promise.all(warm)), incSum(WARMUP));

  const rss = new RssSampler().start();
  const before = process.memoryUsage.rss();
  const t0 = performance.now();
  const pending = new Array<PromiseLike<number>>(tasks);
  for (let i = 0; i < tasks; i++) pending[i] = pool.submit(i);
  rss.sample();
  const total = sum(await Promise.all(pending));
  const ms = performance.now() - t0;
  const { peakRssMb, growthMb } = rss.stop();
  expectEqual('checksum', total, incSum(tasks));
  return {
    result: {
      metrics: {
        tasksPerSec: (tasks * 1000) / ms,
        elapsedMs: ms,
        peakRssMb,
        rssGrowthMb: growthMb,
        rssBytesPerTask: (growthMb * MB) / tasks,
        rssBeforeMb: before / MB,
        tasks,
      },
    },
    teardown: () => pool.destroy(),
  };
}

async function longImap(spec: ChildSpec<'scaling'>): Promise<Measurement> {
  const { imapItems, imapBudgetMs } = spec.params;
  const { ThreadPool } = await loadSpindle();
  const pool = new ThreadPool({ workers: spec.threads, threads: spec.threads });
  const inc = (x: number) => x + 1;
  let done = 0;
  for await (const r of pool.imap(inc, range(WARMUP))) expectEqual('warm-up', r, ++done);

  const rss = new RssSampler().start(50);
  const t0 = performance.now();
  let count = 0;
  let capped = false;
  for await (const r of pool.imap(inc, range(imapItems))) {
    if (r !== ++count) expectEqual(`result ${count - 1}`, r, count);
    if ((count & 0x3fff) === 0) {
      rss.sample();
      if (performance.now() - t0 > imapBudgetMs) {
        capped = true;
        break;
      }
    }
  }
  const ms = performance.now() - t0;
  const { peakRssMb, growthMb } = rss.stop();
  const notes = capped ? [`imap stopped at the ${imapBudgetMs / 1000} s budget`] : [];
  return {
    result: {
      metrics: {
        tasksPerSec: (count * 1000) / ms,
        elapsedMs: ms,
        peakRssMb,
        rssGrowthMb: growthMb,
        tasks: count,
      },
      notes,
    },
    teardown: async () => {
      await pool.terminate();
      await pool.join();
    },
  };
}

export async function run(spec: ChildSpec<'scaling'>): Promise<Measurement> {
  if (spec.variant === 'imap') return longImap(spec);
  const tasks = SCALING_SIZES[spec.variant ?? ''];
  if (tasks === undefined) throw new Error(`unknown scaling size "${spec.variant}"`);
  return manyTasks(spec, tasks);
}
