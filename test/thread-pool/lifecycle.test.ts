import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { CancelledError, InvalidStateError } from 'spindle';
import { hosts, rejection, T, workerTracker } from '../helpers.js';

const workers = workerTracker();

for (const host of hosts)
  describe(`lifecycle: close, terminate, join, dispose (${host.name})`, () => {
    test(
      'issuing to a closed or terminated pool throws InvalidStateError "Pool not running"',
      T,
      async () => {
        const pool = host.pool(2);
        pool.close();
        const calls: (() => unknown)[] = [
          () => pool.apply(() => 1),
          () => pool.applyAsync(() => 1),
          () => pool.map((x: number) => x, [1]),
          () => pool.mapAsync((x: number) => x, [1]),
          () => pool.imap((x: number) => x, [1]),
          () => pool.imapUnordered((x: number) => x, [1]),
          () => pool.starmap((x: number) => x, [[1]]),
          () => pool.starmapAsync((x: number) => x, [[1]]),
        ];
        for (const call of calls)
          assert.throws(call, { name: 'InvalidStateError', message: 'Pool not running' });
        await pool.join();
        const terminated = host.pool(2);
        await terminated.terminate();
        for (const call of calls.map((c) => c.toString())) void call;
        assert.throws(() => terminated.apply(() => 1), InvalidStateError);
        assert.equal(terminated.state, 'TERMINATE');
      },
    );

    test('join() on a running pool rejects "Pool is still running"', T, async () => {
      const pool = host.pool(2);
      const error = await rejection(pool.join());
      assert.ok(error instanceof InvalidStateError);
      assert.equal((error as Error).message, 'Pool is still running');
      await pool.terminate();
      await pool.join();
    });

    test('close() lets queued and running tasks finish, then join() resolves', T, async () => {
      const pool = host.pool(2);
      const results = Array.from({ length: 10 }, (_, i) =>
        pool.applyAsync(
          async (x: number) => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            return x;
          },
          [i],
        ),
      );
      pool.close();
      assert.equal(pool.state, 'CLOSE');
      await pool.join();
      for (const [i, result] of results.entries()) {
        assert.equal(result.ready(), true, 'every task finished before join resolved');
        assert.equal(await result.get(), i);
      }
    });

    test('close() and join() on a pool that never ran a task', T, async () => {
      const pool = host.pool(3);
      pool.close();
      await pool.join();
      pool.close(); // Closing twice is harmless.
      await pool.join();
    });

    test(
      'terminate() with 10,000 queued long tasks rejects every unsettled one with CancelledError',
      T,
      async () => {
        const pool = host.pool(2);
        const results = Array.from({ length: 10_000 }, () =>
          pool.applyAsync(async () => {
            await new Promise((resolve) => setTimeout(resolve, 60_000));
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        const started = Date.now();
        await pool.terminate();
        assert.ok(Date.now() - started < 5000);
        let cancelled = 0;
        for (const result of results) {
          assert.equal(result.ready(), true);
          const error = await rejection(result.get());
          if (error instanceof CancelledError) cancelled++;
        }
        assert.equal(cancelled, 10_000);
        await pool.join();
      },
    );

    test('terminate() stops a thread stuck in an endless synchronous loop', T, async () => {
      const pool = host.pool(1);
      const stuck = pool.applyAsync(() => {
        for (;;) {}
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await pool.terminate();
      assert.ok((await rejection(stuck.get())) instanceof CancelledError);
      await pool.join();
    });

    test('terminate() is idempotent and settles an imap in progress', T, async () => {
      const pool = host.pool(2);
      const iterator = pool.imap(
        async (x: number) => {
          await new Promise((resolve) => setTimeout(resolve, 10_000));
          return x;
        },
        [1, 2, 3],
      );
      const next = rejection(iterator.next());
      await new Promise((resolve) => setTimeout(resolve, 50));
      await Promise.all([pool.terminate(), pool.terminate()]);
      assert.ok((await next) instanceof CancelledError);
      // Each unsettled item was cancelled; then the iteration ends.
      let cancelled = 1;
      for (;;) {
        try {
          if ((await iterator.next()).done) break;
          assert.fail('no result after terminate');
        } catch (error) {
          assert.ok(error instanceof CancelledError);
          cancelled++;
        }
      }
      assert.ok(cancelled <= 3);
    });

    test(
      'await using terminates and joins (the with-block trap: unfinished tasks are cancelled)',
      T,
      async () => {
        let unfinished: PromiseLike<unknown> | undefined;
        {
          await using pool = host.pool(2);
          assert.equal(await pool.apply(() => 'inside'), 'inside');
          unfinished = pool.applyAsync(async () => {
            await new Promise((resolve) => setTimeout(resolve, 10_000));
          });
        }
        assert.ok((await rejection(unfinished as PromiseLike<unknown>)) instanceof CancelledError);
      },
    );

    test('threads start lazily and no thread is left after terminate/join', T, async () => {
      const before = await workers.settle(0);
      assert.equal(before, 0);
      const pool = host.pool({ workers: 4, threads: 2 });
      // Worker handles of this process; a process pool's live children.
      const live = () => (host.sharesMemory ? workers.live() : pool.stats().threads.live);
      assert.equal(live(), 0, 'no thread before the first task');
      await pool.apply(() => 1);
      assert.equal(live(), 1, 'one task, one thread');
      await pool.map(
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 50));
        },
        [1, 2, 3, 4],
        1,
      );
      assert.equal(live(), 2, "more tasks than one thread's slots: the second thread");
      await pool.map(async () => {}, Array.from({ length: 100 }), 1);
      assert.equal(live(), 2, 'never more than `threads`');
      const pids = new Set(await pool.map(() => process.pid, [1, 2, 3, 4], 1));
      await pool.terminate();
      await pool.join();
      assert.equal(await workers.settle(0), 0, 'no thread left');
      if (!host.sharesMemory) {
        for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
      }
    });

    test('an idle pool that was never closed does not keep the process alive', T, () => {
      const script = `
      import { ${host.poolClass} } from 'spindle';
      const pool = new ${host.poolClass}(4);
      console.log(await pool.map((x) => x + 1, [1, 2, 3]));
      pool.applyAsync(() => 'fire and forget');
      setTimeout(() => console.log('timer done'), 50);
    `;
      const started = Date.now();
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(child.status, 0, child.stderr);
      assert.match(child.stdout, /\[ 2, 3, 4 \]/);
      assert.match(child.stdout, /timer done/);
      assert.ok(Date.now() - started < 15_000);
    });

    test('after leaving an imap early, the process still exits by itself', T, () => {
      const script = `
      import { ${host.poolClass} } from 'spindle';
      const pool = new ${host.poolClass}(1);
      const items = Array.from({ length: 2000 }, (_, i) => i);
      for await (const x of pool.imap(async (x) => { await new Promise((r) => setTimeout(r, 2)); return x; }, items)) {
        if (x === 3) break;
      }
      console.log('left the loop');
    `;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(child.status, 0, child.stderr || 'timed out: something kept the process alive');
      assert.match(child.stdout, /left the loop/);
    });

    test(
      'awaiting terminate() or join() keeps the process alive until the threads have exited',
      T,
      () => {
        // Nothing else is pending while these awaits run: if a stopping thread did not hold the
        // process, it would end early with the await unsettled (exit code 13).
        const script = `
      import { ${host.poolClass} } from 'spindle';
      const task = async (v) => { await new Promise((r) => setTimeout(r, 5)); if (v < 0) throw new Error('neg'); return v; };
      for (let i = 0; i < 40; i++) {
        const pool = new ${host.poolClass}(2);
        await pool.mapAsync(task, [1, -2, 3]).wait();
        if (i % 2) { await pool.terminate(); } else { pool.close(); await pool.join(); }
      }
      console.log('all settled');
    `;
        const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
          encoding: 'utf8',
          timeout: 60_000,
        });
        assert.equal(child.status, 0, `exit ${child.status}: ${child.stderr}`);
        assert.match(child.stdout, /all settled/);
      },
    );

    test('idleTimeout stops idle threads, which start again when needed', T, async () => {
      const pool = host.pool({ workers: 1, idleTimeout: 50 });
      const carrier = async () =>
        `${process.pid}/${(await import('node:worker_threads')).threadId}`;
      const first = await pool.apply(carrier);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const second = await pool.apply(carrier);
      assert.notEqual(first, second, 'a new thread served the second task');
      await pool.terminate();
    });
  });
