import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { BrokenPoolError, WorkerExitError } from 'spindle';
import { hosts, rejection, T } from '../helpers.js';

for (const host of hosts)
  describe(`faults fail only their own tasks (${host.name})`, () => {
    const pool = host.pool({ workers: 2, threads: 2 });
    after(() => pool.terminate());

    test(
      'a task calling process.exit() fails with WorkerExitError; the pool keeps working',
      T,
      async () => {
        const error = await rejection(pool.apply(() => process.exit(7)));
        assert.ok(error instanceof WorkerExitError);
        assert.equal((error as WorkerExitError).exitCode, 7);
        assert.deepEqual(await pool.map((x: number) => x * 2, [1, 2, 3]), [2, 4, 6]);
      },
    );

    test(
      'results a thread computed before it exits are delivered; only the running task fails',
      T,
      async () => {
        const one = host.pool(1);
        try {
          await one.apply(() => 0);
          const results = [0, 1, 2, 3].map((x) =>
            one.applyAsync(
              (n: number) => {
                if (n === 3) process.exit(7);
                return n;
              },
              [x],
            ),
          );
          const outcomes = await Promise.all(
            results.map((r) => r.get().catch((e: Error) => e.name)),
          );
          assert.deepEqual(outcomes, [0, 1, 2, 'WorkerExitError']);
        } finally {
          await one.terminate();
        }
      },
    );

    test(
      'only the tasks the dying thread was running fail; the rest run elsewhere',
      T,
      async () => {
        const small = host.pool({ workers: 1, threads: 1 });
        try {
          const doomed = small.applyAsync(async () => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            process.exit(3);
          });
          const queued = Array.from({ length: 20 }, (_, i) =>
            small.applyAsync((x: number) => x, [i]),
          );
          assert.ok((await rejection(doomed.get())) instanceof WorkerExitError);
          const values = await Promise.all(queued.map((r) => r.get()));
          assert.deepEqual(
            values,
            Array.from({ length: 20 }, (_, i) => i),
          );
        } finally {
          await small.terminate();
        }
      },
    );

    test(
      "an uncaught error in a task's timer kills its thread: WorkerExitError with the cause",
      T,
      async () => {
        const error = await rejection(
          pool.apply(
            () =>
              new Promise(() => {
                setTimeout(() => {
                  throw new Error('thrown from a timer');
                }, 5);
              }),
          ),
        );
        assert.ok(error instanceof WorkerExitError);
        assert.match(String((error as Error).message), /thrown from a timer/);
        assert.equal(((error as Error).cause as Error).message, 'thrown from a timer');
        assert.equal(await pool.apply(() => 'still serving'), 'still serving');
      },
    );

    test('running out of memory under resourceLimits fails the task, not the pool', {
      timeout: 60_000,
    }, async () => {
      const tight = host.pool({ workers: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
      try {
        const error = await rejection(
          tight.apply(() => {
            const hoard: number[][] = [];
            for (;;) hoard.push(new Array(100_000).fill(1));
          }),
        );
        assert.ok(error instanceof WorkerExitError, String(error));
        assert.equal(await tight.apply(() => 'recovered'), 'recovered');
      } finally {
        await tight.terminate();
      }
    });

    test('an uncloneable argument fails only its task, with a DataCloneError', T, async () => {
      const error = await rejection(pool.apply((f: unknown) => typeof f, [() => 1]));
      assert.equal((error as Error).name, 'DataCloneError');
      assert.match((error as Error).message, /Cannot send the task's arguments/);
      const mixed = [
        pool.applyAsync((x: number) => x, [1]),
        pool.applyAsync((x: unknown) => x, [Symbol('no')]),
        pool.applyAsync((x: number) => x, [3]),
      ];
      assert.equal(await mixed[0]?.get(), 1);
      assert.equal(((await rejection(mixed[1]!.get())) as Error).name, 'DataCloneError');
      assert.equal(await mixed[2]?.get(), 3);
    });

    test('an uncloneable result fails only its task, with a DataCloneError', T, async () => {
      const results = [
        pool.applyAsync(() => 'fine'),
        pool.applyAsync(() => () => 'a function cannot be cloned'),
        pool.applyAsync(() => 'also fine'),
      ];
      assert.equal(await results[0]?.get(), 'fine');
      const error = await rejection(results[1]!.get());
      assert.equal((error as Error).name, 'DataCloneError');
      assert.match((error as Error).message, /result could not be cloned/);
      assert.equal(await results[2]?.get(), 'also fine');
      const mapped = await rejection(
        pool.map((x: number) => (x === 2 ? Symbol('x') : x), [1, 2, 3]),
      );
      assert.equal((mapped as Error).name, 'DataCloneError');
    });

    test(
      "a throwing callback is reported on the pool's error event and breaks nothing",
      T,
      async () => {
        const reported: unknown[] = [];
        pool.on('error', (error) => reported.push(error));
        try {
          const result = pool.applyAsync((x: number) => x, [5], {
            callback: () => {
              throw new Error('callback bug');
            },
          });
          assert.equal(await result.get(), 5, 'the result is unaffected');
          const failed = pool.applyAsync(
            () => {
              throw new Error('task error');
            },
            [],
            {
              errorCallback: () => {
                throw new Error('error callback bug');
              },
            },
          );
          assert.equal(((await rejection(failed.get())) as Error).message, 'task error');
          assert.deepEqual(
            reported.map((e) => (e as Error).message),
            ['callback bug', 'error callback bug'],
          );
          assert.deepEqual(await pool.map((x: number) => x, [1, 2]), [1, 2]);
        } finally {
          pool.removeAllListeners('error');
        }
      },
    );

    test('with no error listener, a throwing callback prints a warning', T, () => {
      const script = `
      import { ${host.poolClass} } from 'spindle';
      const pool = new ${host.poolClass}(1);
      const r = pool.applyAsync(() => 1, [], { callback: () => { throw new Error('callback bug'); } });
      console.log('result', await r.get());
      await pool.terminate();
    `;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(child.status, 0, child.stderr);
      assert.match(child.stdout, /result 1/);
      assert.match(child.stderr, /SpindleCallbackError/);
      assert.match(child.stderr, /callback bug/);
    });
  });

for (const host of hosts)
  describe(`initializer (${host.name})`, () => {
    test('runs once in each thread before it takes tasks, with initargs', T, async () => {
      const pool = host.pool({
        workers: 4,
        threads: 2,
        initializer: (tag: string) => {
          (globalThis as Record<string, unknown>).tag = `${tag}-${Math.random()}`;
          (globalThis as Record<string, unknown>).inits =
            (((globalThis as Record<string, unknown>).inits as number) ?? 0) + 1;
        },
        initargs: ['ready'],
      });
      try {
        const seen = await pool.map(
          async () => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            const g = globalThis as Record<string, unknown>;
            return `${g.inits}:${String(g.tag).split('-')[0]}:${g.tag}`;
          },
          Array.from({ length: 16 }),
          1,
        );
        for (const entry of seen)
          assert.match(entry, /^1:ready:/, 'initializer ran exactly once in that thread');
        // One tag per thread that ran tasks (the second thread may start late on a busy machine).
        assert.ok(
          new Set(seen).size >= 1 && new Set(seen).size <= 2,
          `${new Set(seen).size} threads`,
        );
      } finally {
        await pool.terminate();
      }
    });

    test(
      'a failing initializer breaks the pool: BrokenPoolError with the cause, no respawn loop',
      T,
      async () => {
        const pool = host.pool({
          workers: 2,
          initializer: () => {
            throw new TypeError('bad config');
          },
        });
        const pending = [pool.applyAsync(() => 1), pool.applyAsync(() => 2)];
        for (const result of pending) {
          const error = await rejection(result.get());
          assert.ok(error instanceof BrokenPoolError);
          assert.ok((error as Error).cause instanceof TypeError);
          assert.equal(((error as Error).cause as Error).message, 'bad config');
        }
        const later = await rejection(pool.map((x: number) => x, [1, 2]));
        assert.ok(later instanceof BrokenPoolError);
        await pool.terminate();
        await pool.join();
      },
    );

    test('an initializer that exits the thread breaks the pool', T, async () => {
      const pool = host.pool({ workers: 1, initializer: () => process.exit(9) });
      const error = await rejection(pool.apply(() => 1));
      assert.ok(error instanceof BrokenPoolError);
      assert.ok((error as Error).cause instanceof WorkerExitError);
      await pool.terminate();
    });

    test('an initializer that hangs breaks the pool after initializerTimeout', T, async () => {
      const pool = host.pool({
        workers: 1,
        initializerTimeout: 200,
        initializer: () => new Promise(() => {}),
      });
      const error = await rejection(pool.apply(() => 1));
      assert.ok(error instanceof BrokenPoolError);
      assert.match(String(((error as Error).cause as Error).message), /initializerTimeout/);
      await pool.terminate();
    });

    test('maxTasksPerThread replaces a thread after that many tasks', T, async () => {
      const pool = host.pool({ workers: 1, maxTasksPerThread: 3 });
      try {
        const ids = await pool.map(
          async () => `${process.pid}/${(await import('node:worker_threads')).threadId}`,
          Array.from({ length: 9 }),
          1,
        );
        assert.equal(new Set(ids).size, 3, `thread ids: ${ids.join(',')}`);
        assert.deepEqual(ids.slice(0, 3), [ids[0], ids[0], ids[0]]);
      } finally {
        await pool.terminate();
      }
    });
  });
