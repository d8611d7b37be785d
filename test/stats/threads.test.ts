// The threads' side of stats() and the 'threadStart'/'threadExit' events: every way a thread ends
// (crash, maxTasksPerThread, idle, close, terminate) gives its reason, and the counts follow.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ThreadExitEvent,
  type ThreadPool,
  type ThreadPoolExecutor,
  type ThreadStartEvent,
  WorkerExitError,
} from 'spindle';
import { delay, hosts, rejection, T } from '../helpers.js';

/** Records a pool's thread events. */
function watch(pool: ThreadPool | ThreadPoolExecutor): {
  starts: ThreadStartEvent[];
  exits: ThreadExitEvent[];
} {
  const starts: ThreadStartEvent[] = [];
  const exits: ThreadExitEvent[] = [];
  // Typed by ThreadPoolEvents / ThreadPoolExecutorEvents: `event.reason` is a ThreadExitReason.
  (pool as ThreadPool).on('threadStart', (event) => starts.push(event));
  (pool as ThreadPool).on('threadExit', (event) => exits.push(event));
  return { starts, exits };
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  for (let waited = 0; !condition() && waited < ms; waited += 5) await delay(5);
  assert.ok(condition(), 'timed out waiting');
}

for (const host of hosts)
  describe(`thread events and counts (${host.name})`, () => {
    test("a thread that dies in a task: 'crash', its exit code, and replaced", T, async () => {
      const pool = host.pool({ workers: 1, threads: 1, name: 'crashy' });
      const seen = watch(pool);
      try {
        assert.equal(await pool.apply(() => 1), 1);
        const error = await rejection(pool.apply(() => process.exit(9)));
        assert.ok(error instanceof WorkerExitError);
        assert.equal(await pool.apply(() => 2), 2);
        await until(() => seen.starts.length === 2);
        assert.deepEqual(seen.exits, [{ name: 'crashy-1', exitCode: 9, reason: 'crash' }]);
        assert.deepEqual(
          seen.starts.map((e) => e.name),
          ['crashy-1', 'crashy-2'],
        );
        const s = pool.stats();
        assert.deepEqual(s.threads, { live: 1, started: 2, replaced: 1 });
        assert.deepEqual([s.completed, s.failed], [2, 1]);
      } finally {
        await pool.terminate();
      }
      await until(() => seen.exits.length === 2);
      assert.deepEqual(seen.exits[1], { name: 'crashy-2', exitCode: 1, reason: 'terminate' });
      assert.deepEqual(pool.stats().threads, { live: 0, started: 2, replaced: 1 });
    });

    test("maxTasksPerThread: each retired thread exits with 'maxTasksPerThread'", T, async () => {
      const pool = host.pool({ workers: 1, threads: 1, maxTasksPerThread: 3 });
      const seen = watch(pool);
      try {
        for (let i = 0; i < 7; i++) assert.equal(await pool.apply((x: number) => x, [i]), i);
        await until(() => seen.exits.length === 2);
        assert.deepEqual(
          seen.exits.map((e) => [e.reason, e.exitCode]),
          [
            ['maxTasksPerThread', 0],
            ['maxTasksPerThread', 0],
          ],
        );
        const s = pool.stats();
        assert.deepEqual(s.threads, { live: 1, started: 3, replaced: 2 });
        assert.equal(s.completed, 7);
      } finally {
        await pool.terminate();
      }
    });

    test(
      "idleTimeout: an idle thread exits with 'idle' and is not counted as replaced",
      T,
      async () => {
        const pool = host.pool({ workers: 2, threads: 2, idleTimeout: 30 });
        const seen = watch(pool);
        try {
          await pool.map((x: number) => x, [1, 2, 3, 4], 1);
          await until(() => seen.exits.length === seen.starts.length && seen.starts.length > 0);
          assert.ok(seen.exits.every((e) => e.reason === 'idle' && e.exitCode === 0));
          const s = pool.stats();
          assert.deepEqual(s.threads, { live: 0, started: seen.starts.length, replaced: 0 });
          // Work brings a thread back.
          assert.equal(await pool.apply(() => 5), 5);
          assert.equal(pool.stats().threads.live, 1);
        } finally {
          await pool.terminate();
        }
      },
    );

    test("close(): the threads exit with 'close' once the work is done", T, async () => {
      const pool = host.pool({ workers: 2, threads: 2 });
      const seen = watch(pool);
      const results = pool.map(
        async (ms: number) => {
          await new Promise((r) => setTimeout(r, ms));
          return ms;
        },
        [20, 20, 20, 20],
        1,
      );
      pool.close();
      assert.deepEqual(await results, [20, 20, 20, 20]);
      await pool.join();
      await until(() => seen.exits.length === seen.starts.length);
      assert.ok(seen.exits.length >= 1);
      assert.ok(seen.exits.every((e) => e.reason === 'close' && e.exitCode === 0));
      assert.deepEqual(pool.stats().threads, { live: 0, started: seen.starts.length, replaced: 0 });
    });

    test("shutdown() closes the threads; terminate() stops them with 'terminate'", T, async () => {
      const executor = host.executor({ maxWorkers: 2, threads: 2 });
      const seen = watch(executor);
      const spin = executor.submit(() => {
        const end = Date.now() + 200;
        while (Date.now() < end) {}
      });
      await delay(50);
      await executor.shutdown({ wait: false, cancelFutures: true });
      await spin.catch(() => {});
      await until(() => seen.exits.length === seen.starts.length);
      // shutdown() without wait lets the running call finish: the threads close once it has.
      assert.ok(seen.exits.every((e) => e.reason === 'close'));

      const pool = host.pool({ workers: 2, threads: 2 });
      const poolSeen = watch(pool);
      const stuck = pool.applyAsync(() => {
        for (;;) {}
      });
      await until(() => pool.stats().running === 1);
      await pool.terminate();
      await rejection(stuck.get());
      await until(() => poolSeen.exits.length === poolSeen.starts.length);
      assert.ok(poolSeen.exits.length >= 1);
      assert.ok(poolSeen.exits.every((e) => e.reason === 'terminate'));
      const s = pool.stats();
      assert.equal(s.threads.live, 0);
      assert.equal(s.threads.replaced, 0);
      assert.equal(s.cancelled, 1);
    });

    test('threads: 0 has one carrier on the main thread, with the same events', T, async () => {
      const pool = host.pool({ workers: 4, threads: 0, name: 'local' });
      const seen = watch(pool);
      await pool.map((x: number) => x, [1, 2, 3]);
      assert.deepEqual(seen.starts, [{ name: 'local-1' }]);
      await pool.terminate();
      await until(() => seen.exits.length === 1);
      assert.deepEqual(seen.exits, [{ name: 'local-1', exitCode: 0, reason: 'terminate' }]);
      assert.deepEqual(pool.stats().threads, { live: 0, started: 1, replaced: 0 });
    });
  });
