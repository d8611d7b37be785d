// spindle/redis with an `initializer`: each worker runs it once per thread of the pool it keeps
// for the client, before the client's first task there. A worker where it fails gives the
// client's jobs back to the others; the client's pool breaks (BrokenPoolError, caused by the
// initializer's error) only when every live worker serving the queue has failed it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokenPoolError, fromModule, ThreadPool, ThreadPoolExecutor } from 'spindle';
import { redis } from 'spindle/redis';
import { delay, rejection } from '../helpers.js';
import { queueName, RedisServer, redisAvailable, tasksUrl, WorkerProcess } from './harness.js';

type Tasks = typeof import('../fixtures/remote-tasks.mjs');
const tasks = fromModule<Tasks>(tasksUrl);
const T = { timeout: 45_000 };
const FAILING = { env: { SPINDLE_TEST_INIT_FAIL: '1' } };

const available = redisAvailable();

describe('spindle/redis initializer', { skip: !available }, () => {
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
  });

  after(async () => {
    await server?.stop();
  });

  it('runs once per thread of each worker, before the first task, with initargs', T, async () => {
    const queue = queueName('init-ok');
    const workers = await Promise.all([
      WorkerProcess.start(server.url, queue, ['--workers', '2', '--threads', '1']),
      WorkerProcess.start(server.url, queue, ['--workers', '2', '--threads', '1']),
    ]);
    try {
      await using pool = new ThreadPool({
        workers: 4,
        initializer: tasks.initOrFail,
        initargs: ['first'],
        backend: redis({ url: server.url, queue }),
      });
      const results = await pool.map(tasks.initMarker, Array(16).fill(20));
      for (const [pid, marker, runs] of results) {
        assert.ok(workers.some((worker) => worker.pid === pid));
        assert.equal(marker, 'first');
        assert.equal(runs, 1, 'the initializer ran once in the thread');
      }
      // Another client's initializer runs for it alone: each client has its own pools.
      await using other = new ThreadPool({
        workers: 2,
        initializer: tasks.initOrFail,
        initargs: ['second'],
        backend: redis({ url: server.url, queue }),
      });
      const [otherResult, firstAgain] = await Promise.all([
        other.apply(tasks.initMarker, []),
        pool.apply(tasks.initMarker, []),
      ]);
      assert.equal(otherResult[1], 'second');
      assert.equal(firstAgain[1], 'first');
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });

  it(
    'failing on one worker: that worker gives the jobs back, all run on the other',
    T,
    async () => {
      const queue = queueName('init-one-fails');
      const failing = await WorkerProcess.start(server.url, queue, ['--workers', '2'], [], FAILING);
      const good = await WorkerProcess.start(server.url, queue, ['--workers', '2']);
      try {
        await using pool = new ThreadPool({
          workers: 4,
          initializer: tasks.initOrFail,
          initargs: ['only-good'],
          backend: redis({ url: server.url, queue }),
        });
        const settled = new Map<number, number>();
        const calls = Array.from({ length: 12 }, (_, i) =>
          pool.applyAsync(tasks.initMarker, [30], {
            callback: () => settled.set(i, (settled.get(i) ?? 0) + 1),
            errorCallback: () => settled.set(i, (settled.get(i) ?? 0) + 1),
          }),
        );
        const results = await Promise.all(calls.map((call) => call.get()));
        for (const [pid, marker] of results) {
          assert.equal(pid, good.pid);
          assert.equal(marker, 'only-good');
        }
        assert.match(failing.output, /initializer of client \S+ failed here/);
        // Still served after the failure, and never broken.
        assert.equal((await pool.apply(tasks.initMarker, []))[0], good.pid);
        await delay(200);
        assert.deepEqual([...settled.values()], Array(12).fill(1));
      } finally {
        await Promise.all([failing.stop(), good.stop()]);
      }
    },
  );

  it(
    'failing on every worker: every task fails once with BrokenPoolError, caused by it',
    T,
    async () => {
      const queue = queueName('init-all-fail');
      const workers = await Promise.all([
        WorkerProcess.start(server.url, queue, ['--workers', '2'], [], FAILING),
        WorkerProcess.start(server.url, queue, ['--workers', '2'], [], FAILING),
      ]);
      try {
        await using executor = new ThreadPoolExecutor({
          maxWorkers: 3,
          initializer: tasks.initOrFail,
          initargs: ['nowhere'],
          backend: redis({ url: server.url, queue }),
        });
        const futures = Array.from({ length: 8 }, (_, i) => executor.submit(tasks.square, i));
        const outcomes = await Promise.allSettled(futures.map((future) => future.result()));
        for (const outcome of outcomes) {
          assert.equal(outcome.status, 'rejected');
          const error = (outcome as PromiseRejectedResult).reason as BrokenPoolError;
          assert.ok(error instanceof BrokenPoolError, String(error));
          const cause = error.cause as RangeError & { code?: string };
          assert.ok(cause instanceof RangeError);
          assert.equal(cause.code, 'E_INIT');
          assert.match(cause.message, /refuses to run here \(nowhere\)/);
        }
        // And every later call fails at once (a future failed with it, as on threads).
        await assert.rejects(executor.submit(tasks.square, 1).result(), BrokenPoolError);
        for (const worker of workers) assert.match(worker.output, /initializer of client/);
      } finally {
        await Promise.all(workers.map((worker) => worker.stop()));
      }
    },
  );

  it(
    'a ThreadPool whose workers all fail it: callbacks hear once, later calls fail',
    T,
    async () => {
      const queue = queueName('init-all-fail-pool');
      const worker = await WorkerProcess.start(server.url, queue, ['--workers', '2'], [], FAILING);
      try {
        await using pool = new ThreadPool({
          workers: 2,
          initializer: tasks.initOrFail,
          initargs: ['x'],
          backend: redis({ url: server.url, queue }),
        });
        const heard: unknown[] = [];
        const call = pool.applyAsync(tasks.square, [3], { errorCallback: (e) => heard.push(e) });
        const mapped = pool.mapAsync(tasks.square, [1, 2, 3, 4], { chunksize: 1 });
        await assert.rejects(call.get(), BrokenPoolError);
        await assert.rejects(mapped.get(), BrokenPoolError);
        await delay(200);
        assert.equal(heard.length, 1);
        await assert.rejects(async () => pool.apply(tasks.square, [2]), BrokenPoolError);
      } finally {
        await worker.stop();
      }
    },
  );

  it(
    'Redis restarted empty mid-run: the pool does not break, every task runs on the good worker',
    T,
    async () => {
      const queue = queueName('init-restart');
      const failing = await WorkerProcess.start(server.url, queue, ['--workers', '2'], [], FAILING);
      const good = await WorkerProcess.start(server.url, queue, ['--workers', '2']);
      try {
        await using pool = new ThreadPool({
          workers: 4,
          initializer: tasks.initOrFail,
          initargs: ['r'],
          backend: redis({ url: server.url, queue }),
        });
        const results = pool.map(tasks.initMarker, Array(24).fill(100), 1);
        await delay(400);
        await server.restart();
        for (const [pid, marker] of await results) {
          assert.equal(pid, good.pid);
          assert.equal(marker, 'r');
        }
      } finally {
        await Promise.all([failing.stop(), good.stop()]);
      }
    },
  );

  it(
    'the last good worker leaving breaks the pool; an initializer no worker serves too',
    T,
    async () => {
      const queue = queueName('init-good-leaves');
      const failing = await WorkerProcess.start(server.url, queue, ['--workers', '1'], [], FAILING);
      const good = await WorkerProcess.start(server.url, queue, ['--workers', '1']);
      try {
        await using pool = new ThreadPool({
          workers: 2,
          initializer: tasks.initOrFail,
          initargs: ['g'],
          backend: redis({ url: server.url, queue }),
        });
        const before = await pool.map(tasks.initMarker, [10, 10, 10, 10], 1);
        assert.deepEqual(new Set(before.map(([pid]) => pid)), new Set([good.pid]));
        assert.equal((await good.stop('SIGTERM')).code, 0);
        const error = await rejection(pool.apply(tasks.initMarker, []));
        assert.ok(error instanceof BrokenPoolError, String(error));
        assert.equal((error.cause as { code?: string }).code, 'E_INIT');

        // An initializer from a module the worker does not serve cannot run there.
        const controlTasks = fromModule<typeof import('../fixtures/control-tasks.mjs')>(
          new URL('../fixtures/control-tasks.mjs', import.meta.url),
        );
        await using other = new ThreadPool({
          workers: 1,
          initializer: controlTasks.report,
          initargs: [0],
          backend: redis({ url: server.url, queue }),
        });
        const unserved = await rejection(other.apply(tasks.square, [2]));
        assert.ok(unserved instanceof BrokenPoolError, String(unserved));
        assert.match(String(unserved.cause), /does not serve the task module/);
      } finally {
        await Promise.all([failing.stop(), good.stop()]);
      }
    },
  );

  it('the client’s initializerTimeout bounds the initializer on the workers', T, async () => {
    const queue = queueName('init-timeout');
    const worker = await WorkerProcess.start(server.url, queue, ['--workers', '1']);
    try {
      await using pool = new ThreadPool({
        workers: 1,
        initializer: tasks.initForever,
        initializerTimeout: 300,
        backend: redis({ url: server.url, queue }),
      });
      const error = await rejection(pool.apply(tasks.square, [2]));
      assert.ok(error instanceof BrokenPoolError, String(error));
      assert.match(String((error.cause as Error).message), /initializerTimeout/);
    } finally {
      await worker.stop();
    }
  });

  it('initargs larger than maxJobBytes: a clear RangeError, every call settles', T, async () => {
    await using pool = new ThreadPool({
      workers: 1,
      initializer: tasks.initOrFail,
      initargs: ['x'.repeat(5000)],
      backend: redis({ url: server.url, queue: queueName('init-big'), maxJobBytes: 1024 }),
    });
    const error = await rejection(pool.apply(tasks.square, [2]));
    assert.ok(error instanceof BrokenPoolError, String(error));
    assert.ok(error.cause instanceof RangeError);
    await assert.rejects(async () => pool.apply(tasks.square, [3]), BrokenPoolError);
    assert.match(
      String(error.cause),
      /initargs take \d+ bytes serialized, more than .*maxJobBytes \(1024\)/,
    );
  });

  it('refuses an inline initializer unless the workers allow inline functions', () => {
    assert.throws(
      () =>
        new ThreadPool({
          workers: 1,
          initializer: () => {},
          backend: redis({ url: 'redis://127.0.0.1:1', queue: 'never-used' }),
        }),
      /Expected `initializer` to be a task-module reference/,
    );
  });
});
