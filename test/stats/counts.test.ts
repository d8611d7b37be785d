// pool.stats() counts against a ledger kept by the test: every issuing method of the pool and the
// executor, on worker threads and on the main thread (`threads: 0`). Counts are in calls: one
// per apply/submit, one per item of a map, whatever the chunksize.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BrokenPoolError,
  CancelledError,
  type PoolStats,
  ThreadPool,
  ThreadPoolExecutor,
} from 'spindle';
import { delay, Event, rejection, T, until, waitEvent } from '../helpers.js';

/** Throws for multiples of 7: a map's chunks are partly failed. */
function sevens(x: number): number {
  if (x % 7 === 0) throw new Error(`seven ${x}`);
  return x * 2;
}

function pair(x: number, y: number): number {
  if (x % 7 === 0) throw new Error(`seven ${x}`);
  return x + y;
}

/** What the ledger expects for items 0..n-1 passed to `sevens`. */
function expected(n: number): { completed: number; failed: number } {
  let failed = 0;
  for (let i = 0; i < n; i++) if (i % 7 === 0) failed++;
  return { completed: n - failed, failed };
}

/** Waits until the pool has no call left queued or running (results are delivered first). */
async function settled(stats: () => PoolStats): Promise<PoolStats> {
  for (let i = 0; i < 200; i++) {
    const s = stats();
    if (s.queued === 0 && s.running === 0) return s;
    await delay(5);
  }
  return stats();
}

for (const threads of [2, 0]) {
  describe(`stats counts (threads: ${threads})`, () => {
    test('every issuing method of ThreadPool, against a ledger', T, async () => {
      const pool = new ThreadPool({ workers: 3, threads });
      try {
        const ledger = { completed: 0, failed: 0 };
        const add = (n: number): void => {
          const e = expected(n);
          ledger.completed += e.completed;
          ledger.failed += e.failed;
        };
        const items = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

        assert.equal(await pool.apply(sevens, [3]), 6);
        ledger.completed++;
        await rejection(pool.apply(sevens, [7]));
        ledger.failed++;
        const asyncs = items(10).map((i) => pool.applyAsync(sevens, [i]));
        await Promise.allSettled(asyncs.map((r) => r.get()));
        add(10);

        // map, mapAsync, starmap, starmapAsync: a task error rejects the call, but every item ran.
        await rejection(pool.map(sevens, items(23), 4));
        add(23);
        await rejection(pool.mapAsync(sevens, items(9), { chunksize: 2 }).get());
        add(9);
        assert.deepEqual(await pool.map(sevens, [1, 2, 3], 2), [2, 4, 6]);
        ledger.completed += 3;
        await rejection(
          pool.starmap(
            pair,
            items(15).map((i) => [i, 1] as [number, number]),
            5,
          ),
        );
        add(15);
        await rejection(
          pool
            .starmapAsync(
              pair,
              items(8).map((i) => [i, 1] as [number, number]),
            )
            .get(),
        );
        add(8);

        // imap and imapUnordered: each item's error comes through next(); read them all.
        for (const method of ['imap', 'imapUnordered'] as const) {
          const it = pool[method](sevens, items(17), 3);
          let outcomes = 0;
          for (;;) {
            try {
              const step = await it.next();
              if (step.done) break;
            } catch {}
            outcomes++;
          }
          assert.equal(outcomes, 17);
          add(17);
        }

        const s = await settled(() => pool.stats());
        assert.deepEqual(
          { queued: s.queued, running: s.running, cancelled: s.cancelled },
          { queued: 0, running: 0, cancelled: 0 },
        );
        assert.equal(s.completed, ledger.completed, 'completed');
        assert.equal(s.failed, ledger.failed, 'failed');
        assert.equal(s.threads.live, threads === 0 ? 1 : s.threads.started);
        assert.ok(s.threads.started >= 1 && s.threads.started <= Math.max(1, threads));
        assert.equal(s.threads.replaced, 0);
      } finally {
        await pool.terminate();
      }
    });

    test('every issuing method of ThreadPoolExecutor, against a ledger', T, async () => {
      const executor = new ThreadPoolExecutor({ maxWorkers: 3, threads });
      try {
        const ledger = { completed: 0, failed: 0 };
        const futures = Array.from({ length: 12 }, (_, i) => executor.submit(sevens, i));
        await Promise.allSettled(futures);
        ledger.completed += expected(12).completed;
        ledger.failed += expected(12).failed;
        for (const chunksize of [1, 4]) {
          const results = executor.map(pair, [1, 2, 3, 4, 5, 6, 8], [10, 10, 10, 10, 10, 10, 10], {
            chunksize,
          });
          assert.deepEqual(await results.toArray(), [11, 12, 13, 14, 15, 16, 18]);
          ledger.completed += 7;
        }
        const s = await settled(() => executor.stats());
        assert.equal(s.completed, ledger.completed);
        assert.equal(s.failed, ledger.failed);
        assert.equal(s.cancelled, 0);
        assert.equal(s.queued + s.running, 0);
      } finally {
        await executor.shutdown();
      }
    });

    test(
      'queued, running and cancelled while calls wait (Future.cancel, imap left early, terminate)',
      T,
      async () => {
        const executor = new ThreadPoolExecutor({ maxWorkers: 2, threads });
        const gate = new Event();
        const blockers = [
          executor.submit(waitEvent, gate.sab, 1),
          executor.submit(waitEvent, gate.sab, 2),
        ];
        const waiting = Array.from({ length: 5 }, (_, i) => executor.submit((x: number) => x, i));
        // Both slots busy: the two blockers run, five calls wait.
        let s = executor.stats();
        for (let i = 0; i < 200 && s.running < 2; i++) {
          await delay(5);
          s = executor.stats();
        }
        assert.equal(s.running, 2);
        assert.equal(s.queued, 5);
        assert.equal(waiting[3]?.cancel(), true);
        assert.equal(waiting[4]?.cancel(), true);
        s = executor.stats();
        assert.equal(s.cancelled, 2);
        assert.equal(s.queued, 3);
        gate.set();
        await Promise.all([...blockers, ...waiting.slice(0, 3)]);
        s = await settled(() => executor.stats());
        assert.deepEqual([s.completed, s.failed, s.cancelled], [5, 0, 2]);
        await executor.shutdown();

        // An imap left early drops the chunks it had queued; terminate cancels what is left.
        const pool = new ThreadPool({ workers: 1, threads });
        const hold = new Event();
        const it = pool.imap((x: number) => x, [0, 1, 2, 3, 4, 5], 2);
        const first = await it.next();
        assert.equal(first.value, 0);
        await it.return();
        const blocked = pool.applyAsync(waitEvent, [hold.sab, 'never']);
        const behind = pool.applyAsync((x: number) => x, [1]);
        await delay(30);
        await pool.terminate();
        assert.ok((await rejection(blocked.get())) instanceof CancelledError);
        assert.ok((await rejection(behind.get())) instanceof CancelledError);
        s = pool.stats();
        // The imap's 6 items: the first chunk (2) completed; the others completed or were dropped.
        assert.equal(s.completed + s.cancelled, 6 + 2);
        assert.ok(s.cancelled >= 2, `terminate cancelled both calls (${s.cancelled})`);
        assert.equal(s.failed, 0);
        assert.equal(s.queued + s.running, 0);
        hold.set();
      },
    );
  });
}

describe('stats of a broken pool', () => {
  test(
    'calls failed by BrokenPoolError count as failed; the thread that broke it is not replaced',
    T,
    async () => {
      const pool = new ThreadPool({
        workers: 2,
        threads: 1,
        initializer: () => {
          throw new Error('no setup');
        },
      });
      const exits: string[] = [];
      pool.on('threadExit', ({ reason }) => exits.push(reason));
      const results = [1, 2, 3].map((x) => pool.applyAsync((n: number) => n, [x]));
      const errors = await Promise.all(results.map((r) => rejection(r.get())));
      assert.ok(errors.every((e) => e instanceof BrokenPoolError));
      await pool.join().catch(() => {});
      for (let i = 0; i < 100 && exits.length === 0; i++) await delay(10);
      const s = pool.stats();
      assert.deepEqual([s.completed, s.failed, s.cancelled, s.queued, s.running], [0, 3, 0, 0, 0]);
      assert.deepEqual(s.threads, { live: 0, started: 1, replaced: 0 });
      assert.deepEqual(exits, ['terminate']);
    },
  );
});

describe('stats of an aborted call whose task runs on', () => {
  test(
    'it counts once, as cancelled: not running, and the calls behind it stay queued',
    T,
    async () => {
      for (const threads of [1, 0]) {
        await using pool = new ThreadPool({ workers: 1, threads, abortGrace: 5000 });
        const release = new Event();
        const controller = new AbortController();
        // Ignores its signal: it keeps its slot until released.
        const aborted = pool.apply(waitEvent, [release.sab, 'late'], {
          signal: controller.signal,
        });
        const behind = pool.apply((x: number) => x, [1]);
        await until(() => pool.stats().running === 1, 10_000, 'the first call to start');
        controller.abort('stop');
        assert.equal(await rejection(aborted), 'stop');
        const s = pool.stats();
        assert.deepEqual(
          [s.queued, s.running, s.cancelled],
          [1, 0, 1],
          `threads: ${threads}: queued + running + settled is the calls issued`,
        );
        release.set();
        assert.equal(await behind, 1);
      }
    },
  );
});
