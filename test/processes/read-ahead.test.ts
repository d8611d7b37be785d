// A process pool sends plain tasks into a child beyond its task slots (its read-ahead), where they
// can no longer be taken back: what that means for aborts, cancels and a child that dies. Every
// task still settles exactly once. The pools are first warmed up with tiny tasks, so that the
// children have shown a fast pace and the engine gives them a read-ahead.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancelledError, ProcessPool, ProcessPoolExecutor, WorkerExitError } from 'spindle';
import { delay, rejection, T } from '../helpers.js';

const inc = (x: number): number => x + 1;
const TASKS = 20_000;

async function warm(pool: ProcessPool): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: 2_000 }, (_, i) => pool.applyAsync(inc, [i])),
  );
  assert.equal(results[1_999], 2_000);
}

describe('ProcessPool: the read-ahead into child processes', () => {
  test(
    'a task with a signal is never held in a child: aborted, it settles once, its process stays',
    T,
    async () => {
      // A grace long enough that a task that started and heard its abort ends within it even on
      // a loaded machine, and shorter than the slots stay busy: only a task held in a child
      // behind them, where the abort cannot reach it, would see its process stopped.
      const pool = new ProcessPool({ workers: 2, processes: 2, abortGrace: 1000 });
      try {
        await warm(pool);
        // Each slot busy for a while, so that what follows waits: plain tasks in the children's
        // read-ahead, the one with a signal in the pool.
        const busy = [1, 2].map(() =>
          pool.applyAsync(() => {
            const until = Date.now() + 1500;
            while (Date.now() < until);
            return 0;
          }),
        );
        const before = Array.from({ length: 50 }, (_, i) => pool.applyAsync(inc, [i]));
        const controller = new AbortController();
        let settled = 0;
        const watched = pool.applyAsync(
          async () => {
            const { signal } = await import('spindle/task');
            // It waits for its abort: held in a child where the abort cannot reach it, it would
            // keep its slot until abortGrace stops that process. (On a loaded machine it may
            // start before the abort, which can then come while it imports: an abort listener
            // added to a signal already aborted is never called.)
            const aborted = signal();
            if (!aborted.aborted) {
              await new Promise((resolve) => aborted.addEventListener('abort', resolve));
            }
            return 1;
          },
          [],
          { signal: controller.signal },
        );
        watched.then(
          () => settled++,
          () => settled++,
        );
        const later = Array.from({ length: 50 }, (_, i) => pool.applyAsync(inc, [i]));
        await delay(100);
        const reason = new Error('stop it');
        controller.abort(reason);
        assert.equal(await rejection(watched), reason);
        assert.deepEqual(await Promise.all(busy), [0, 0]);
        const results = await Promise.all([...before, ...later]);
        assert.deepEqual(
          results,
          [...before, ...later].map((_, i) => (i % 50) + 1),
        );
        // Past the grace (the busy tasks took longer): a process holding the aborted task would
        // have been stopped by now.
        await delay(300);
        assert.equal(settled, 1);
        assert.equal(pool.stats().threads.replaced, 0, 'no process was stopped for the abort');
      } finally {
        await pool.terminate();
      }
    },
  );

  test(
    'cancel() of futures behind a read-ahead: each either cancelled or finished, as it answered',
    T,
    async () => {
      const executor = new ProcessPoolExecutor({ maxWorkers: 2, processes: 2 });
      try {
        await Promise.all(Array.from({ length: 2_000 }, (_, i) => executor.submit(inc, i)));
        const futures = Array.from({ length: TASKS }, (_, i) => executor.submit(inc, i));
        await futures[0];
        const answers = futures.map((future) => future.cancel());
        let cancelled = 0;
        for (const [i, future] of futures.entries()) {
          if (answers[i]) {
            cancelled++;
            assert.ok((await rejection(future)) instanceof CancelledError);
            assert.equal(future.cancelled(), true);
          } else {
            assert.equal(await future, i + 1);
            assert.equal(future.cancelled(), false);
          }
        }
        assert.ok(cancelled > 0, 'tasks still waiting in the pool can be cancelled');
        assert.ok(cancelled < TASKS, 'the first task had finished');
      } finally {
        await executor.shutdown({ wait: true });
      }
    },
  );

  test(
    'a child killed while it holds a read-ahead: its tasks fail, every other task succeeds',
    T,
    async () => {
      const pool = new ProcessPool({ workers: 2, processes: 2 });
      try {
        await warm(pool);
        const pid = await pool.apply(() => process.pid);
        const results = Array.from({ length: TASKS }, (_, i) => pool.applyAsync(inc, [i]));
        await results[0];
        process.kill(pid, 'SIGKILL');
        let failed = 0;
        for (const [i, result] of results.entries()) {
          try {
            assert.equal(await result, i + 1);
          } catch (error) {
            if (!(error instanceof WorkerExitError)) throw error;
            assert.equal(error.signal, 'SIGKILL');
            failed++;
          }
        }
        // Those it held at that moment, at most: the rest ran on the other process or its successor.
        assert.ok(failed < TASKS / 2, `${failed} tasks failed`);
        assert.equal(await pool.apply(inc, [1]), 2, 'the pool goes on');
      } finally {
        await pool.terminate();
      }
    },
  );
});
