// Workload 9: every form a user writes, and what the control features cost, side by side in
// one process (so differences of a few percent stand out of the noise between processes).
// Blocks of N calls of `x => x + 1`, each form in turn, for several cycles; each cycle's time
// per call is compared with the plain `applyAsync` block of the same cycle.
import { loadSpindle, type SpindleModule } from '../adapters/spindle.js';
import { expectEqual, incSum, sum } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import type { ChildSpec } from '../shared/protocol.js';
import { percentile } from '../shared/stats.js';
import { BASELINE_LANE, type FormLane } from '../shared/variants.js';

/**
 * One block: issues n calls in one form and waits as that form waits. It returns their
 * checksum, or how to compute it once the timing has stopped (for forms that wait without
 * reading the results: `wait()`, `asCompleted()`).
 */
type Block = (n: number) => Promise<number | (() => Promise<number>)>;

const inc = (x: number): number => x + 1;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function allOf(n: number, issue: (i: number) => PromiseLike<number>): Promise<number> {
  const pending = new Array<PromiseLike<number>>(n);
  for (let i = 0; i < n; i++) pending[i] = issue(i);
  return sum(await Promise.all(pending));
}

async function sumOf(results: AsyncIterable<number>): Promise<number> {
  let total = 0;
  for await (const r of results) total += r;
  return total;
}

/**
 * A pool per kind of use, so that the plain `applyAsync` pool (the reference of every cost) has
 * the same history as each pool it is compared with: only single calls, no signals, timers or
 * maps left behind by other forms.
 */
function blocks(spindle: SpindleModule, threads: number) {
  const { ThreadPool, ThreadPoolExecutor, wait, asCompleted } = spindle;
  const size = { workers: threads, threads };
  const plain = new ThreadPool(size);
  const timed = new ThreadPool({ ...size, timings: true });
  const signalled = new ThreadPool(size);
  const timedOut = new ThreadPool(size);
  const maps = new ThreadPool(size);
  const pools = [plain, timed, signalled, timedOut, maps];
  const executor = new ThreadPoolExecutor({ maxWorkers: threads, threads });
  // One signal for every call (as a caller that can cancel the lot): each call still listens.
  const { signal } = new AbortController();
  const submitAll = (n: number) => range(n).map((i) => executor.submit(inc, i));
  const byForm: Record<FormLane, Block> = {
    applyAsync: (n) => allOf(n, (i) => plain.applyAsync(inc, [i])),
    'applyAsync, timings: true': (n) => allOf(n, (i) => timed.applyAsync(inc, [i])),
    'applyAsync + signal': (n) => allOf(n, (i) => signalled.applyAsync(inc, [i], { signal })),
    'applyAsync + timeout': (n) =>
      allOf(n, (i) => timedOut.applyAsync(inc, [i], { timeout: 60_000 })),
    submit: (n) => allOf(n, (i) => executor.submit(inc, i)),
    'wait(futures)': async (n) => {
      const futures = submitAll(n);
      const { done } = await wait(futures);
      expectEqual('wait: done', done.size, n);
      return async () => sum(await Promise.all(futures));
    },
    'asCompleted(futures)': async (n) => {
      const futures = submitAll(n);
      let seen = 0;
      for await (const _ of asCompleted(futures)) seen++;
      expectEqual('asCompleted: futures seen', seen, n);
      return async () => sum(await Promise.all(futures));
    },
    map: async (n) => sum(await maps.map(inc, range(n))),
    imap: (n) => sumOf(maps.imap(inc, range(n))),
    'executor.map': (n) => sumOf(executor.map(inc, range(n))),
  };
  const stop = async () => {
    await Promise.all([...pools.map((p) => p.terminate()), executor.shutdown({ wait: true })]);
    await Promise.all(pools.map((p) => p.join()));
  };
  return { byForm, stop };
}

/** The plain `applyAsync` block of another build (only what every build has). */
function baselineBlock(spindle: SpindleModule, threads: number) {
  const pool = new spindle.ThreadPool({ workers: threads, threads });
  const block: Block = (n) => allOf(n, (i) => pool.applyAsync(inc, [i]));
  const stop = async () => {
    await pool.terminate();
    await pool.join();
  };
  return { block, stop };
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

export async function run(spec: ChildSpec<'forms'>): Promise<Measurement> {
  const { tasks, cycles, warmup, baseline } = spec.params;
  const current = blocks(await loadSpindle(), spec.threads);
  const lanes = new Map<string, Block>(Object.entries(current.byForm));
  const base = baseline ? baselineBlock(await loadSpindle(baseline.url), spec.threads) : undefined;
  if (base) lanes.set(BASELINE_LANE, base.block);

  const names = [...lanes.keys()];
  const checksum = async (outcome: number | (() => Promise<number>)) =>
    typeof outcome === 'number' ? outcome : await outcome();
  for (const name of names) {
    expectEqual(`${name} warm-up`, await checksum(await lanes.get(name)!(warmup)), incSum(warmup));
  }
  const ms = new Map<string, number[]>(names.map((name) => [name, []]));
  for (let cycle = 0; cycle < cycles; cycle++) {
    // A different form goes first in each cycle, so none always follows the same neighbour.
    for (let k = 0; k < names.length; k++) {
      const name = names[(cycle + k) % names.length]!;
      const t0 = performance.now();
      const outcome = await lanes.get(name)!(tasks);
      ms.get(name)!.push(performance.now() - t0);
      expectEqual(`${name} checksum`, await checksum(outcome), incSum(tasks));
    }
  }
  const plain = ms.get('applyAsync')!;
  const relative = (name: string, to: number[]) =>
    median(ms.get(name)!.map((t, cycle) => t / to[cycle]! - 1));
  const result: Record<string, Record<string, number>> = {};
  for (const name of names) {
    result[name] = {
      callsPerSec: median(ms.get(name)!.map((t) => (tasks * 1000) / t)),
      cost: relative(name, plain),
    };
  }
  // How much longer this build's applyAsync takes than the baseline build's, cycle by cycle.
  if (base) result.applyAsync!.baselineCost = relative('applyAsync', ms.get(BASELINE_LANE)!);
  const stop = async () => {
    await current.stop();
    await base?.stop();
  };
  return { result: { metrics: {}, lanes: result }, teardown: stop };
}
