// spindle/redis: every method of ThreadPool and ThreadPoolExecutor through a real Redis and two
// `spindle worker` processes, values and errors across, and what is refused (see harness.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  asCompleted,
  BrokenPoolError,
  CancelledError,
  FIRST_COMPLETED,
  fromModule,
  ThreadPool,
  ThreadPoolExecutor,
  TimeoutError,
  wait,
} from 'spindle';
import { redis } from 'spindle/redis';
import { delay, rejection, until } from '../helpers.js';
import {
  freePort,
  queueName,
  RedisServer,
  redisAvailable,
  tasksUrl,
  WorkerProcess,
} from './harness.js';

type Tasks = typeof import('../fixtures/remote-tasks.mjs');
const tasks = fromModule<Tasks>(tasksUrl);
const T = { timeout: 30_000 };

const available = redisAvailable();

describe('spindle/redis: every method through two workers', { skip: !available }, () => {
  let server: RedisServer;
  const workers: WorkerProcess[] = [];
  const queue = queueName('methods');
  const backend = (extra: Record<string, unknown> = {}) =>
    redis({ url: server.url, queue, ...extra });
  const scratch = mkdtempSync(join(tmpdir(), 'spindle-redis-test-'));

  before(async () => {
    server = await RedisServer.start();
    workers.push(
      ...(await Promise.all([
        WorkerProcess.start(server.url, queue, ['--workers', '3', '--threads', '1']),
        WorkerProcess.start(server.url, queue, ['--workers', '3', '--threads', '1']),
      ])),
    );
  });

  after(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGTERM')));
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('apply, applyAsync with callbacks, and values by structured clone', T, async () => {
    await using pool = new ThreadPool({ workers: 4, backend: backend() });
    assert.equal(await pool.apply(tasks.add, [2, 3]), 5);
    const seen: number[] = [];
    const result = pool.applyAsync(tasks.square, [9], { callback: (value) => seen.push(value) });
    assert.equal(await result.get(), 81);
    assert.deepEqual(seen, [81]);
    const value = {
      date: new Date(86_400_000),
      map: new Map<string, bigint>([['big', 2n ** 70n]]),
      set: new Set([1, 'two']),
      bytes: new Float64Array([1.5, -0]),
      nested: { regexp: /a+b/gi, nothing: undefined, nan: Number.NaN },
    };
    assert.deepEqual(await pool.apply(tasks.echo, [value]), value);
  });

  it('the map family with chunksize, starmap, imap lazily, imapUnordered', T, async () => {
    await using pool = new ThreadPool({ workers: 4, backend: backend() });
    const items = Array.from({ length: 50 }, (_, i) => i);
    assert.deepEqual(
      await pool.map(tasks.square, items, 7),
      items.map((x) => x * x),
    );
    assert.deepEqual(
      await pool.mapAsync(tasks.square, [1, 2, 3], { chunksize: 2 }).get(),
      [1, 4, 9],
    );
    assert.deepEqual(
      await pool.starmap(tasks.add, [
        [1, 2],
        [3, 4],
      ]),
      [3, 7],
    );
    assert.deepEqual(await pool.starmapAsync(tasks.add, [[5, 5]]).get(), [10]);
    let read = 0;
    function* input() {
      for (let i = 0; i < 1000; i++) {
        read = i + 1;
        yield i;
      }
    }
    const ordered: number[] = [];
    for await (const x of pool.imap(tasks.square, input())) {
      ordered.push(x);
      if (ordered.length === 10) break;
    }
    assert.deepEqual(ordered, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    // Lazy and bounded: imap reads a bounded window ahead (max(2 * workers, 128) items), and only
    // `workers` of them are jobs in Redis at a time.
    assert.ok(read <= 10 + 128 + 4, `read ${read} items of the input for 10 results`);
    const unordered: number[] = [];
    for await (const x of pool.imapUnordered(tasks.square, [3, 1, 2], 2)) unordered.push(x);
    assert.deepEqual(unordered.sort(), [1, 4, 9]);
  });

  it('tasks run on both worker processes', T, async () => {
    await using pool = new ThreadPool({ workers: 6, backend: backend() });
    const pids = await pool.map(tasks.sleep, Array(12).fill(150), 1);
    assert.deepEqual(new Set(pids), new Set(workers.map((worker) => worker.pid)));
  });

  it(
    'errors keep their class, code, cause and stack; a chunk fails by its first failure',
    T,
    async () => {
      await using pool = new ThreadPool({ workers: 2, backend: backend() });
      const error = (await rejection(pool.apply(tasks.fail, ['boom']))) as RangeError & {
        code: string;
      };
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, 'boom');
      assert.equal(error.code, 'E_REMOTE');
      assert.equal((error.cause as Error).message, 'the cause');
      assert.match(error.stack ?? '', /remote-tasks\.mjs/);
      const chunkError = await rejection(pool.map(tasks.failOdd, [0, 2, 3, 4], 4));
      assert.ok(chunkError instanceof TypeError);
      assert.equal(chunkError.message, 'odd: 3');
    },
  );

  it('the executor: submit, submitWith, map with buffersize, wait, asCompleted', T, async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 4, backend: backend() });
    const futures = [1, 2, 3].map((x) => executor.submit(tasks.square, x));
    const order: number[] = [];
    for await (const future of asCompleted(futures)) order.push(await future.result());
    assert.deepEqual(order.sort(), [1, 4, 9]);
    const slow = executor.submit(tasks.sleep, 2000, 'slow');
    const fast = executor.submitWith({}, tasks.sleep, 50, 'fast');
    const { done, notDone } = await wait([slow, fast], { returnWhen: FIRST_COMPLETED });
    assert.ok(done.has(fast) && notDone.has(slow));
    const mapped: number[] = [];
    for await (const x of executor.map(tasks.add, [1, 2, 3], [10, 20, 30], { buffersize: 2 })) {
      mapped.push(x);
    }
    assert.deepEqual(mapped, [11, 22, 33]);
    assert.equal(await slow.result(), 'slow');
  });

  it('progress comes before the result; stats count the tasks; close and join', T, async () => {
    const pool = new ThreadPool({ workers: 2, backend: backend() });
    const values: number[] = [];
    assert.equal(
      await pool.apply(tasks.reportProgress, [5], { onProgress: (v) => values.push(v as number) }),
      5,
    );
    assert.deepEqual(values, [0, 1, 2, 3, 4]);
    const stats = pool.stats();
    assert.equal(stats.completed, 1);
    assert.equal(stats.running, 0);
    pool.close();
    await pool.join();
  });

  it('an abort and a timeout reach the running remote task through signal()', T, async () => {
    await using pool = new ThreadPool({ workers: 2, backend: backend() });
    const abortedFile = join(scratch, 'aborted');
    const controller = new AbortController();
    const call = pool.apply(tasks.markWhenAborted, [abortedFile], { signal: controller.signal });
    await until(() => existsSync(`${abortedFile}.started`), 10_000, 'the remote task to start');
    controller.abort(new Error('stop it'));
    assert.equal(((await rejection(call)) as Error).message, 'stop it');
    await until(() => existsSync(abortedFile), 10_000, 'the remote task to see its abort');
    assert.equal(readFileSync(abortedFile, 'utf8'), 'Error');
    const timedFile = join(scratch, 'timed');
    const timed = await rejection(pool.apply(tasks.markWhenAborted, [timedFile], { timeout: 300 }));
    assert.ok(timed instanceof TimeoutError);
    await until(() => existsSync(timedFile), 10_000, 'the remote task to see its timeout');
    assert.equal(readFileSync(timedFile, 'utf8'), 'TimeoutError');
  });

  it(
    'terminate() rejects every task with CancelledError and removes its waiting jobs',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 20, backend: backend() });
      const calls = Array.from({ length: 20 }, () => pool.apply(tasks.sleep, [3000]));
      const connection = new Redis(server.url, { maxRetriesPerRequest: null });
      const queueView = new Queue(queue, { connection });
      try {
        await until(() => pool.stats().running === 20, 10_000, 'every task to be sent');
        // Six of them run on the two workers; the others wait in the queue.
        let counts = { active: 0, waiting: 0 };
        for (let i = 0; i < 200 && (counts.active < 6 || counts.waiting > 14); i++) {
          counts = await queueView.getJobCounts('active', 'waiting').then((c) => ({
            active: c.active ?? 0,
            waiting: c.waiting ?? 0,
          }));
          if (counts.active < 6 || counts.waiting > 14) await delay(50);
        }
        assert.deepEqual(counts, { active: 6, waiting: 14 });
        await pool.terminate();
        for (const call of calls) assert.ok((await rejection(call)) instanceof CancelledError);
        assert.equal(await queueView.getWaitingCount(), 0);
      } finally {
        await queueView.close();
        connection.disconnect();
      }
    },
  );

  it(
    'with no worker serving, a signal bounds the wait: the job leaves the queue, the slot is free',
    T,
    async () => {
      const lonely = queueName('lonely');
      await using pool = new ThreadPool({
        workers: 1,
        backend: redis({ url: server.url, queue: lonely }),
      });
      const error = await rejection(
        pool.apply(tasks.square, [1], { signal: AbortSignal.timeout(500) }),
      );
      assert.equal((error as Error).name, 'TimeoutError');
      const connection = new Redis(server.url, { maxRetriesPerRequest: null });
      const queueView = new Queue(lonely, { connection });
      try {
        let waiting = -1;
        for (let i = 0; i < 100 && waiting !== 0; i++) {
          waiting = await queueView.getWaitingCount();
          if (waiting !== 0) await delay(50);
        }
        assert.equal(waiting, 0);
        await until(() => pool.stats().running === 0, 5000, 'the slot to be free');
      } finally {
        await queueView.close();
        connection.disconnect();
      }
    },
  );

  it(
    'what cannot cross fails that task alone: an uncloneable argument or result, a job too large',
    T,
    async () => {
      await using pool = new ThreadPool({ workers: 2, backend: backend({ maxJobBytes: 1000 }) });
      const uncloneable = await rejection(pool.apply(tasks.echo, [() => 1]));
      assert.equal((uncloneable as Error).name, 'DataCloneError');
      const tooLarge = await rejection(pool.apply(tasks.echo, ['x'.repeat(2000)]));
      assert.ok(tooLarge instanceof RangeError);
      assert.match(tooLarge.message, /maxJobBytes \(1000\)/);
      const result = await rejection(pool.apply(tasks.returnsFunction, []));
      assert.match(
        (result as Error).message,
        /cannot be sent back through Redis|could not be cloned|SharedArrayBuffer/,
      );
      assert.equal(await pool.apply(tasks.square, [4]), 16);
    },
  );

  it(
    'inline functions are refused early; a module the workers do not serve fails that task',
    T,
    async () => {
      await using pool = new ThreadPool({ workers: 2, backend: backend() });
      assert.throws(() => pool.apply((x: number) => x, [1]), {
        name: 'TypeError',
        message: /task-module reference.*--allow-inline/,
      });
      await using inlinePool = new ThreadPool({
        workers: 2,
        backend: backend({ allowInline: true }),
      });
      const inline = await rejection(inlinePool.apply((x: number) => x + 1, [1]));
      assert.match((inline as Error).message, /runs no inline functions.*--allow-inline/);
      const other = fromModule<typeof import('../fixtures/tasks.mjs')>(
        new URL('../fixtures/tasks.mjs', import.meta.url),
      );
      const unserved = await rejection(pool.apply(other.square, [2]));
      assert.match(
        (unserved as Error).message,
        /does not serve the task module "\.\/test\/fixtures\/tasks\.mjs"/,
      );
      assert.equal(await pool.apply(tasks.square, [5]), 25);
    },
  );

  it('a backend that is not one, a bad URL or queue name: TypeError or RangeError at once', () => {
    assert.throws(() => new ThreadPool({ backend: {} as never }), {
      name: 'TypeError',
      message: /backend/,
    });
    assert.throws(() => new ThreadPoolExecutor({ backend: 'redis' as never }), TypeError);
    assert.throws(() => redis({ url: 'not a url', queue: 'q' }), {
      name: 'TypeError',
      message: /does not parse/,
    });
    assert.throws(() => redis({ url: 'http://127.0.0.1', queue: 'q' }), TypeError);
    assert.throws(() => redis({ url: 'redis://127.0.0.1', queue: 'a:b' }), RangeError);
    assert.throws(() => redis({ url: 'redis://127.0.0.1', queue: 7 as never }), TypeError);
    assert.throws(() => redis({ queue: 'q' } as never), /one of `url` and `connection`/);
    assert.throws(
      () => redis({ url: 'redis://127.0.0.1', queue: 'q', surprise: 1 } as never),
      TypeError,
    );
    assert.throws(
      () =>
        new ThreadPool({
          backend: redis({ url: 'redis://127.0.0.1', queue: 'q' }),
          // An inline initializer: refused as inline task functions are (see initializer.test.ts).
          initializer: () => {},
        }),
      { name: 'TypeError', message: /`initializer`/ },
    );
  });

  it(
    'an unreachable Redis: every task fails with BrokenPoolError, within connectTimeout',
    T,
    async () => {
      const port = await freePort();
      await using pool = new ThreadPool({
        workers: 2,
        backend: redis({ url: `redis://127.0.0.1:${port}`, queue, connectTimeout: 500 }),
      });
      const started = Date.now();
      const calls = [
        pool.apply(tasks.square, [1]),
        pool.map(tasks.square, [1, 2, 3]),
        pool.apply(tasks.square, [2]),
      ];
      for (const call of calls) {
        const error = await rejection(call);
        assert.ok(error instanceof BrokenPoolError);
        assert.match(String((error as Error).message), /Cannot reach Redis.*within 500 ms/);
      }
      // Bounded: connectTimeout, plus the time a loaded machine takes to tell it.
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    },
  );
});
