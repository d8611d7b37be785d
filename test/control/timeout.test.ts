// timeout: a limit on running time, counted from when the task starts on a thread. Past it the
// task is aborted (its signal() aborts) and rejects with TimeoutError naming the function and the
// limit; a synchronous endless loop is stopped with its thread, and the pool goes on serving.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ThreadPool, ThreadPoolExecutor, TimeoutError, WorkerExitError } from 'spindle';
import { delay, rejection, T, until } from '../helpers.js';
import { METHODS, TIMED_METHODS } from './methods.js';

function endless(_: unknown): never {
  for (;;) {}
}

describe('timeout (worker threads)', () => {
  for (const method of TIMED_METHODS) {
    const issue = METHODS[method] as (typeof METHODS)[string];
    test(
      `${method}: stops a synchronous endless loop, and the pool goes on serving`,
      T,
      async () => {
        const pool = new ThreadPool({ workers: 1, threads: 1, abortGrace: 50 });
        const executor = new ThreadPoolExecutor({ maxWorkers: 1, threads: 1, abortGrace: 50 });
        const started = Date.now();
        const error = (await rejection(
          issue({ pool, executor }, endless, 0, { timeout: 200 }),
        )) as TimeoutError;
        const took = Date.now() - started;
        assert.ok(error instanceof TimeoutError, String(error));
        assert.match(error.message, /"endless" ran longer than its timeout of 200 ms/);
        assert.ok(took >= 190, `not before the limit (${took} ms)`);
        // The thread was replaced: the next call runs.
        assert.equal(await issue({ pool, executor }, (x: number) => x + 1, 1, {}), 2);
        await pool.terminate();
        await executor.shutdown();
      },
    );
  }

  test('the time waiting in the queue does not count', T, async () => {
    await using pool = new ThreadPool({ workers: 1, threads: 1 });
    const first = pool.apply(async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return 'first';
    });
    // Queued behind the first for ~300 ms, then runs ~100 ms: within its 250 ms limit.
    const second = pool.apply(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return 'second';
      },
      [],
      { timeout: 250 },
    );
    assert.deepEqual(await Promise.all([first, second]), ['first', 'second']);
  });

  test(
    'a timed task queued behind a long synchronous task is not timed out while it waits',
    T,
    async () => {
      // Two slots: the timed task is sent to the thread at once, and waits there while the
      // thread is blocked ~400 ms (more than its limit), then runs in a moment.
      await using pool = new ThreadPool({ workers: 2, threads: 1 });
      await pool.apply(() => 'thread started');
      const first = pool.apply(() => {
        const until = Date.now() + 400;
        while (Date.now() < until) {}
        return 'first';
      });
      const second = pool.apply((x: number) => x + 1, [1], { timeout: 150 });
      assert.deepEqual(await Promise.all([first, second]), ['first', 2]);
    },
  );

  test(
    'a timed task that blocks its thread, started behind a long task, times out from its start',
    T,
    async () => {
      // Two slots: the loop is sent at once, and starts once the first task returns.
      await using pool = new ThreadPool({ workers: 2, threads: 1, abortGrace: 20 });
      await pool.apply(() => 'thread started');
      const issued = Date.now();
      const first = pool.apply(() => {
        const until = Date.now() + 300;
        while (Date.now() < until) {}
        return 'first';
      });
      const loop = pool.apply(endless, [0], { timeout: 200 });
      const error = await rejection(loop);
      const took = Date.now() - issued;
      assert.ok(error instanceof TimeoutError, String(error));
      assert.equal(await first, 'first');
      // Started at ~300 ms: timed out no sooner than 200 ms later.
      assert.ok(took >= 480, `counted from its start, not its issue (${took} ms)`);
      assert.equal(await pool.apply(() => 'still serving'), 'still serving');
    },
  );

  test(
    'timed async tasks side by side on one thread each time out from their own start',
    T,
    async () => {
      await using pool = new ThreadPool({ workers: 3, threads: 1, abortGrace: 5000 });
      await pool.apply(() => 'thread started');
      // Runs until its signal aborts (its timeout), then returns.
      const untilAborted = async () => {
        const { signal } = await import('spindle/task');
        const own = signal();
        if (!own.aborted) await new Promise((resolve) => own.addEventListener('abort', resolve));
      };
      const block = (ms: number) => {
        const until = Date.now() + ms;
        while (Date.now() < until) {}
        return ms;
      };
      const issued = Date.now();
      const timedOutAt = (promise: Promise<unknown>) =>
        rejection(promise).then((error) => {
          assert.ok(error instanceof TimeoutError, String(error));
          return Date.now() - issued;
        });
      // All three are sent at once (three slots). The first timed task starts and awaits; the
      // blocker holds the thread ~250 ms; the second timed task, sent at the same time as the
      // first, starts only then, and runs beside the first.
      const first = timedOutAt(pool.apply(untilAborted, [], { timeout: 300 }));
      const blocker = pool.apply(block, [250]);
      const second = timedOutAt(pool.apply(untilAborted, [], { timeout: 300 }));
      const [a, b] = await Promise.all([first, second]);
      assert.equal(await blocker, 250);
      assert.ok(a >= 290, `the first from its start at ~0 ms (${a} ms)`);
      assert.ok(b >= 540, `the second from its start at ~250 ms (${b} ms)`);
      assert.equal(await pool.apply(() => 'still serving'), 'still serving');
    },
  );

  test(
    'more timed tasks at once on a thread than it has room to note starts for all time out',
    T,
    async () => {
      // Starts are noted in shared memory for up to 1,024 tasks at once per thread; beyond, the
      // thread reports them by message.
      const count = 1100;
      await using pool = new ThreadPool({ workers: count, threads: 1, abortGrace: 5000 });
      await pool.apply(() => 'thread started');
      const untilAborted = async () => {
        const { signal } = await import('spindle/task');
        const own = signal();
        if (!own.aborted) await new Promise((resolve) => own.addEventListener('abort', resolve));
      };
      const calls = Array.from({ length: count }, () =>
        rejection(pool.apply(untilAborted, [], { timeout: 200 })),
      );
      const errors = await Promise.all(calls);
      assert.equal(errors.filter((error) => error instanceof TimeoutError).length, count);
      assert.equal(await pool.apply(() => 'still serving'), 'still serving');
    },
  );

  test('an async task sees its signal abort with a TimeoutError, and stops', T, async () => {
    await using pool = new ThreadPool({ workers: 2, threads: 1, abortGrace: 5000 });
    const sab = new SharedArrayBuffer(8);
    const error = await rejection(
      pool.apply(
        async (shared: SharedArrayBuffer) => {
          const { signal } = await import('spindle/task');
          const own = signal();
          // On a loaded machine the limit may pass before the task gets here.
          if (!own.aborted) await new Promise((resolve) => own.addEventListener('abort', resolve));
          Atomics.store(new Int32Array(shared), 0, own.reason?.name === 'TimeoutError' ? 1 : 2);
        },
        [sab],
        { timeout: 50 },
      ),
    );
    assert.ok(error instanceof TimeoutError);
    for (let i = 0; i < 500 && Atomics.load(new Int32Array(sab), 0) === 0; i++) await delay(2);
    assert.equal(Atomics.load(new Int32Array(sab), 0), 1, 'the task saw a TimeoutError reason');
    // It stopped within the grace: its thread was not replaced, the other slot's task is fine.
    assert.equal(await pool.apply(() => 5), 5);
  });

  test(
    'tasks running beside a timed-out endless loop fail with WorkerExitError saying why',
    T,
    async () => {
      await using pool = new ThreadPool({ workers: 2, threads: 1, abortGrace: 20 });
      const beside = pool.apply(async () => {
        await new Promise((resolve) => setTimeout(resolve, 5000));
        return 'never';
      });
      await delay(20);
      assert.ok(
        (await rejection(pool.apply(endless, [0], { timeout: 50 }))) instanceof TimeoutError,
      );
      const error = (await rejection(beside)) as WorkerExitError;
      assert.ok(error instanceof WorkerExitError);
      assert.match(
        (error.cause as Error).message,
        /"endless" was aborted \(TimeoutError: .*50 ms\)/,
      );
      assert.equal(await pool.apply(() => 'still serving'), 'still serving');
    },
  );

  test(
    'a task that returned just before a timed-out endless loop on its thread keeps its result',
    T,
    async () => {
      await using pool = new ThreadPool({ workers: 2, threads: 1, abortGrace: 20 });
      await pool.apply(() => 'thread started');
      for (let round = 0; round < 5; round++) {
        // Issued together: the quick one returns, then the loop starts on the same thread.
        const quick = pool.apply((x: number) => x, [round]);
        const loop = pool.apply(endless, [0], { timeout: 30 });
        assert.equal(await quick, round, `round ${round}: a finished task is not lost`);
        assert.ok((await rejection(loop)) instanceof TimeoutError);
      }
    },
  );

  test(
    'results of every kind held by a thread when a timed-out endless loop stops it are kept',
    T,
    async () => {
      await using pool = new ThreadPool({ workers: 20, threads: 1, abortGrace: 20 });
      await pool.apply(() => 'thread started');
      // Plain values are copied where the main thread finds them after the thread is gone;
      // any other kind in the batch sends it all at once before the loop starts.
      const plain: unknown[] = [
        0,
        -0,
        Number.NaN,
        -1.5e300,
        true,
        false,
        null,
        undefined,
        '',
        'héllo \u{1F600} \uD800',
      ];
      const others: unknown[] = [
        'x'.repeat(300),
        { a: [1, 'two'] },
        [3, 4],
        12n,
        new Uint8Array([1, 2]),
      ];
      const same = (x: unknown) => x;
      const fails = (x: string) => {
        throw new RangeError(x);
      };
      for (let round = 0; round < 4; round++) {
        const values = round % 2 === 0 ? plain : [...plain, ...others];
        // Issued together: the quick ones return on the thread, then the loop starts there.
        const quick = values.map((value) => pool.apply(same, [value]));
        const failing = round < 2 ? undefined : pool.apply(fails, [`round ${round}`]);
        const loop = pool.apply(endless, [0], { timeout: 30 });
        assert.deepEqual(await Promise.all(quick), values, `round ${round}`);
        if (failing) {
          const error = await rejection(failing);
          assert.ok(error instanceof RangeError && error.message === `round ${round}`);
        }
        assert.ok((await rejection(loop)) instanceof TimeoutError);
      }
    },
  );

  test('each chunk of a map has its own limit; the first timeout rejects the call', T, async () => {
    await using pool = new ThreadPool({ workers: 2, threads: 2, abortGrace: 20 });
    const error = await rejection(
      pool.map(
        (x: number) => {
          while (x === 3) {}
          return x;
        },
        [1, 2, 3, 4],
        { chunksize: 1, timeout: 100 },
      ),
    );
    assert.ok(error instanceof TimeoutError);
    assert.deepEqual(await pool.map((x: number) => x * 2, [1, 2, 3]), [2, 4, 6]);
  });
});

describe('timeout (threads: 0)', () => {
  test('an async task is aborted and rejects with TimeoutError', T, async () => {
    await using pool = new ThreadPool({ workers: 1, threads: 0 });
    const seen: unknown[] = [];
    const error = await rejection(
      pool.apply(
        async () => {
          const { signal } = await import('spindle/task');
          const own = signal();
          // On a loaded machine the limit may pass before the task gets here.
          if (!own.aborted) await new Promise((resolve) => own.addEventListener('abort', resolve));
          seen.push(own.reason);
        },
        [],
        { timeout: 30 },
      ),
    );
    assert.ok(error instanceof TimeoutError);
    // The task's listener runs once the abort has reached it, a moment later on a loaded machine.
    await until(() => seen.length > 0, 5_000, "the task's abort listener");
    assert.equal(seen[0], error, 'on the main thread the task sees the very reason');
  });
});
