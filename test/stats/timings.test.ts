// runTime, waitTime and utilization (the `timings` option): values that match what the tasks did
// (generous bounds: the machine may be loaded; timing goals belong to the benchmark).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type PoolStats, ThreadPool, ThreadPoolExecutor, type TimeSummary } from 'spindle';
import { delay, T } from '../helpers.js';

/** The stats of a pool made with `timings: true`, whose timings are never null. */
function timed(s: PoolStats): { runTime: TimeSummary; waitTime: TimeSummary; utilization: number } {
  assert.ok(s.runTime && s.waitTime && s.utilization !== null, 'timings: true gives timings');
  return { runTime: s.runTime, waitTime: s.waitTime, utilization: s.utilization };
}

async function sleep(ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

function spin(ms: number): number {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
  return ms;
}

for (const threads of [2, 0]) {
  describe(`timings (threads: ${threads})`, () => {
    test('a 50 ms task shows runTime ≥ 45 ms; queued ones show their wait', T, async () => {
      const pool = new ThreadPool({ workers: 1, threads: Math.min(threads, 1), timings: true });
      try {
        await pool.apply(() => 0); // the thread is up: waits below are queueing only
        const results = [50, 50, 50, 50].map((ms) => pool.applyAsync(sleep, [ms]));
        await Promise.all(results);
        const { runTime, waitTime } = timed(pool.stats());
        assert.equal(runTime.count, 5);
        assert.equal(waitTime.count, 5);
        assert.ok(runTime.p50 >= 45, `runTime p50 ${runTime.p50}`);
        assert.ok(runTime.max >= 45 && runTime.max < 2000, `runTime max ${runTime.max}`);
        assert.ok(runTime.min >= 0 && runTime.min <= runTime.p50);
        assert.ok(runTime.p50 <= runTime.p90 && runTime.p90 <= runTime.p99);
        assert.ok(runTime.p99 <= runTime.max);
        assert.ok(runTime.mean > runTime.min && runTime.mean < runTime.max);
        // One slot: the fourth 50 ms task waited behind three others.
        assert.ok(waitTime.max >= 140, `waitTime max ${waitTime.max}`);
        assert.ok(waitTime.min >= 0 && waitTime.min < 45, `waitTime min ${waitTime.min}`);
      } finally {
        await pool.terminate();
      }
    });

    test('a map chunk is one timing sample; cancelled calls have none', T, async () => {
      const executor = new ThreadPoolExecutor({
        maxWorkers: 1,
        threads: Math.min(threads, 1),
        timings: true,
      });
      try {
        const results = executor.map(spin, [5, 5, 5, 5, 5, 5], { chunksize: 3 });
        assert.equal((await results.toArray()).length, 6);
        const blocker = executor.submit(sleep, 100);
        const cancelled = executor.submit(sleep, 1);
        await delay(20);
        assert.equal(cancelled.cancel(), true);
        await blocker;
        const s = executor.stats();
        const { runTime } = timed(s);
        assert.equal(runTime.count, 3, 'two chunks and one call');
        assert.ok(runTime.p50 >= 13, `a chunk of three 5 ms items: ${runTime.p50}`);
        assert.deepEqual([s.completed, s.cancelled], [7, 1]);
      } finally {
        await executor.shutdown();
      }
    });

    test('utilization: near 1 when saturated, near 0 when idle', T, async () => {
      const busy = new ThreadPool({ workers: 4, threads: Math.min(threads, 1), timings: true });
      const idle = new ThreadPool({ workers: 4, threads: Math.min(threads, 1), timings: true });
      try {
        await idle.apply(() => 0);
        const started = performance.now();
        // Four slots, kept full for about a second by 100 ms tasks.
        await busy.map(sleep, new Array(40).fill(100), 1);
        const elapsed = performance.now() - started;
        const u = timed(busy.stats()).utilization;
        // Since creation: a thread's start-up is time the slots were idle.
        const floor = threads === 0 ? 0.85 : 0.5;
        assert.ok(u > floor && u <= 1, `utilization ${u} after ${elapsed.toFixed(0)} ms`);
        const v = timed(idle.stats()).utilization;
        assert.ok(v >= 0 && v < 0.05, `idle utilization ${v}`);
      } finally {
        await busy.terminate();
        await idle.terminate();
      }
    });
  });
}

describe('without the timings option', () => {
  test('counts only: runTime, waitTime and utilization are null', T, async () => {
    const pool = new ThreadPool({ workers: 2, threads: 1 });
    const executor = new ThreadPoolExecutor({ maxWorkers: 2, threads: 0, timings: false });
    try {
      await pool.map(sleep, [5, 5, 5], 1);
      await executor.submit(sleep, 5);
      for (const s of [pool.stats(), executor.stats()]) {
        assert.deepEqual([s.runTime, s.waitTime, s.utilization], [null, null, null]);
      }
      assert.equal(pool.stats().completed, 3);
      assert.equal(executor.stats().completed, 1);
    } finally {
      await pool.terminate();
      await executor.shutdown();
    }
  });

  test('a timings option that is not a boolean is a TypeError naming what it got', () => {
    assert.throws(
      () => new ThreadPool({ timings: 'yes' as unknown as boolean }),
      /Expected `timings` to be a boolean, got 'yes' \(string\)|Expected `timings` to be a boolean, got/,
    );
    assert.throws(
      () => new ThreadPoolExecutor({ timings: 1 as unknown as boolean }),
      (error: unknown) =>
        error instanceof TypeError && /`timings`.*1/.test((error as Error).message),
    );
  });
});
