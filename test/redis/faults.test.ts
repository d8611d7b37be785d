// spindle/redis when things break: a worker killed mid-task (its job goes to another worker, the
// caller gets one result), a worker stopped gracefully (its running tasks finish), Redis crashing
// and coming back empty (every task still settles, once), and the worker command's bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { fromModule, ThreadPool, WorkerExitError } from 'spindle';
import { redis } from 'spindle/redis';
import { delay, rejection } from '../helpers.js';
import {
  freePort,
  queueName,
  RedisServer,
  redisAvailable,
  root,
  runCli,
  TASKS,
  tasksUrl,
  WorkerProcess,
} from './harness.js';

type Tasks = typeof import('../fixtures/remote-tasks.mjs');
const tasks = fromModule<Tasks>(tasksUrl);
const T = { timeout: 45_000 };

const available = redisAvailable();

/** Waits until `count` tasks have left their mark in `dir` (see recordStart). */
async function waitForStarts(dir: string, count: number): Promise<void> {
  for (let i = 0; i < 400 && readdirSync(dir).length < count; i++) await delay(25);
  assert.equal(readdirSync(dir).length, count, 'tasks started on the workers');
}

describe('spindle/redis when things break', { skip: !available }, () => {
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
  });

  after(async () => {
    await server?.stop();
  });

  it(
    'a worker killed mid-task: another runs its job, the caller gets exactly one result',
    T,
    async () => {
      const queue = queueName('sigkill');
      const first = await WorkerProcess.start(server.url, queue, ['--workers', '1']);
      const second = await WorkerProcess.start(server.url, queue, ['--workers', '1']);
      const starts = mkdtempSync(join(tmpdir(), 'spindle-starts-'));
      try {
        await using pool = new ThreadPool({
          workers: 2,
          backend: redis({ url: server.url, queue }),
        });
        const settled: unknown[][] = [[], []];
        const calls = [0, 1].map((i) =>
          pool.applyAsync(tasks.recordStart, [starts, 1500], {
            callback: (pid) => settled[i]?.push(pid),
            errorCallback: (error) => settled[i]?.push(error),
          }),
        );
        // Each worker has one slot: each takes one of the two jobs.
        const startedOn = () => readdirSync(starts).map((name) => Number(name.split('-')[0]));
        await waitForStarts(starts, 2);
        assert.deepEqual(new Set(startedOn()), new Set([first.pid, second.pid]));
        await first.stop('SIGKILL');
        const results = await Promise.all(calls.map((call) => call.get()));
        assert.deepEqual(results, [second.pid, second.pid]);
        await delay(300);
        assert.deepEqual(settled, [[second.pid], [second.pid]]);
        // The killed worker's job ran again, on the other worker.
        assert.equal(startedOn().filter((pid) => pid === second.pid).length, 2);
      } finally {
        await Promise.all([first.stop(), second.stop()]);
        rmSync(starts, { recursive: true, force: true });
      }
    },
  );

  it('SIGTERM: the worker finishes its running task, then exits 0', T, async () => {
    const queue = queueName('sigterm');
    const worker = await WorkerProcess.start(server.url, queue, ['--workers', '2']);
    await using pool = new ThreadPool({ workers: 2, backend: redis({ url: server.url, queue }) });
    const starts = mkdtempSync(join(tmpdir(), 'spindle-starts-'));
    try {
      const call = pool.apply(tasks.recordStart, [starts, 800]);
      await waitForStarts(starts, 1);
      worker.child.kill('SIGTERM');
      assert.equal(await call, worker.pid);
      const exit = await worker.exited;
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.match(worker.output, /SIGTERM, finishing the running tasks/);
      assert.match(worker.output, /stopped/);
    } finally {
      rmSync(starts, { recursive: true, force: true });
    }
  });

  it(
    'SIGTERM past its grace: the running task goes back to the queue, another worker runs it',
    T,
    async () => {
      const queue = queueName('grace');
      const leaving = await WorkerProcess.start(server.url, queue, [
        '--workers',
        '1',
        '--grace',
        '200',
      ]);
      await using pool = new ThreadPool({ workers: 1, backend: redis({ url: server.url, queue }) });
      const starts = mkdtempSync(join(tmpdir(), 'spindle-starts-'));
      const settled: unknown[] = [];
      try {
        const call = pool.applyAsync(tasks.recordStart, [starts, 1500], {
          callback: (pid) => settled.push(pid),
          errorCallback: (error) => settled.push(error),
        });
        await waitForStarts(starts, 1);
        leaving.child.kill('SIGTERM');
        assert.deepEqual(await leaving.exited, { code: 0, signal: null });
        const staying = await WorkerProcess.start(server.url, queue, ['--workers', '1']);
        try {
          assert.equal(await call.get(), staying.pid);
          await delay(200);
          assert.deepEqual(settled, [staying.pid]);
          assert.equal(readdirSync(starts).length, 2);
        } finally {
          await staying.stop();
        }
      } finally {
        rmSync(starts, { recursive: true, force: true });
      }
    },
  );

  it(
    'Redis crashes and comes back empty: clients and workers reconnect, every task settles once',
    T,
    async () => {
      const queue = queueName('restart');
      const workers = await Promise.all([
        WorkerProcess.start(server.url, queue, ['--workers', '4']),
        WorkerProcess.start(server.url, queue, ['--workers', '4']),
      ]);
      try {
        await using pool = new ThreadPool({
          workers: 8,
          backend: redis({ url: server.url, queue }),
        });
        const settlements = new Map<number, number>();
        const calls = Array.from({ length: 40 }, (_, i) =>
          pool.applyAsync(tasks.sleep, [200, i], {
            callback: () => settlements.set(i, (settlements.get(i) ?? 0) + 1),
            errorCallback: () => settlements.set(i, (settlements.get(i) ?? 0) + 1),
          }),
        );
        await delay(500);
        await server.restart(500);
        const results = await Promise.all(calls.map((call) => call.get()));
        assert.deepEqual(
          results,
          Array.from({ length: 40 }, (_, i) => i),
        );
        await delay(500);
        assert.equal(settlements.size, 40);
        for (const [i, count] of settlements)
          assert.equal(count, 1, `task ${i} settled ${count} times`);
        // And the pool goes on after it.
        assert.equal(await pool.apply(tasks.square, [12]), 144);
      } finally {
        await Promise.all(workers.map((worker) => worker.stop()));
      }
    },
  );

  it(
    'the worker command: a missing module, an unreachable Redis, bad arguments exit non-zero with a message',
    T,
    async () => {
      const missing = runCli([
        'worker',
        '--redis',
        server.url,
        '--queue',
        'q',
        '--modules',
        './no/such/tasks.js',
      ]);
      assert.equal(missing.status, 1);
      assert.match(
        missing.output,
        /task module "\.\/no\/such\/tasks\.js" given to --modules does not exist/,
      );
      const port = await freePort();
      const started = Date.now();
      const unreachable = runCli([
        'worker',
        ...['--redis', `redis://127.0.0.1:${port}`, '--queue', 'q', '--modules', TASKS],
        ...['--connect-timeout', '1000'],
      ]);
      assert.equal(unreachable.status, 1);
      assert.match(
        unreachable.output,
        /Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/? within 1000 ms/,
      );
      assert.ok(Date.now() - started < 15_000);
      const badUrl = runCli(['worker', '--redis', 'nonsense', '--queue', 'q', '--modules', TASKS]);
      assert.equal(badUrl.status, 1);
      assert.match(badUrl.output, /redis:\/\/ or rediss:\/\/ URL/);
      const badQueue = runCli([
        'worker',
        '--redis',
        server.url,
        '--queue',
        'a b',
        '--modules',
        TASKS,
      ]);
      assert.equal(badQueue.status, 1);
      assert.match(badQueue.output, /letters, digits/);
      const noModules = runCli(['worker', '--redis', server.url, '--queue', 'q']);
      assert.equal(noModules.status, 2);
      assert.match(noModules.output, /--modules is required/);
      const unknown = runCli(['serve']);
      assert.equal(unknown.status, 2);
    },
  );

  it('jobs that are not spindle tasks are dropped; the worker goes on serving', T, async () => {
    const queue = queueName('garbage');
    const worker = await WorkerProcess.start(server.url, queue, ['--workers', '1']);
    const connection = new Redis(server.url, { maxRetriesPerRequest: null });
    const queueView = new Queue(queue, { connection });
    try {
      await queueView.addBulk([
        { name: 'x', data: null },
        { name: 'x', data: { client: 1, fn: 'rm -rf /' } },
        { name: 'x', data: 'text' },
      ]);
      await using pool = new ThreadPool({ workers: 1, backend: redis({ url: server.url, queue }) });
      assert.equal(await pool.apply(tasks.square, [11]), 121);
      assert.equal(worker.child.exitCode, null);
      assert.match(worker.output, /is not a spindle task: dropped/);
    } finally {
      await queueView.close();
      connection.disconnect();
      await worker.stop();
    }
  });

  it(
    'Redis gone for longer than reconnectTimeout: the tasks sent fail, the pool tries again later',
    T,
    async () => {
      const queue = queueName('gone');
      const worker = await WorkerProcess.start(server.url, queue, ['--workers', '2']);
      try {
        await using pool = new ThreadPool({
          workers: 2,
          backend: redis({ url: server.url, queue, reconnectTimeout: 500 }),
        });
        assert.equal(await pool.apply(tasks.square, [2]), 4);
        const running = pool.apply(tasks.sleep, [3000]);
        await delay(300);
        await server.restart(1500);
        const error = await rejection(running);
        assert.ok(error instanceof WorkerExitError, String(error));
        assert.match(String((error as Error).cause), /for more than 500 ms \(reconnectTimeout\)/);
        assert.equal(await pool.apply(tasks.square, [3]), 9);
      } finally {
        await worker.stop();
      }
    },
  );

  it("the core package never loads bullmq or ioredis: only 'spindle/redis' does", () => {
    for (const file of ['spindle.js', 'spindle.cjs']) {
      const text = readFileSync(join(root, 'dist', 'lib', file), 'utf8');
      assert.doesNotMatch(text, /bullmq|ioredis/, file);
    }
    const loaded = (entry: string): string =>
      spawnSync(
        process.execPath,
        [
          '-e',
          `require(${JSON.stringify(entry)}); console.log(Object.keys(require.cache).filter((f) => /node_modules[\\\\/](bullmq|ioredis)[\\\\/]/.test(f)).length)`,
        ],
        { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
      ).stdout.trim();
    assert.equal(loaded('spindle'), '0');
    // spindle/redis loads them when it first connects, not when it is imported.
    assert.equal(loaded('spindle/redis'), '0');
  });
});
