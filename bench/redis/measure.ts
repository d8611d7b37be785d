// What bench/redis/run.ts (`npm run bench:redis`) and the redis workload of `npm run bench`
// (bench/workloads/redis.ts) measure: spindle/redis against BullMQ used directly for the same
// jobs, on a redis-server of this machine with worker processes beside the client, and the
// speed-up of a CPU-bound map on two worker processes against one.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

/**
 * Where things are: the repository (workers run from it and serve TASKS, named relative to it)
 * and the `spindle` command the workers run. The client's spindle is the one `import('spindle')`
 * finds where this file runs.
 */
export interface Where {
  root: string;
  cli: string;
}

/** The task module, as `--modules` names it relative to the repository. */
export const TASKS = './bench/redis/tasks.mjs';
const BULLMQ_WORKER = 'bench/redis/bullmq-worker.mjs';
export const ROUND_TRIPS = 300;
export const THROUGHPUT_TASKS = 3000;
export const IN_FLIGHT = 64;

type Tasks = typeof import('./tasks.mjs');
/** The client's spindle (where this file runs) and the task module as references of it. */
async function clientSide(where: Where) {
  const [core, backend] = await Promise.all([import('spindle'), import('spindle/redis')]);
  const tasks = core.fromModule<Tasks>(pathToFileURL(join(where.root, TASKS)));
  return { ThreadPool: core.ThreadPool, redis: backend.redis, tasks };
}

/** Why redis-server cannot run here, or undefined. */
export function redisServerMissing(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return found.error || found.status !== 0 ? 'redis-server is not installed' : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server of its own on a free port of 127.0.0.1, persistence off, in a temp dir. */
export async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'spindle-bench-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  );
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (up) break;
    await delay(25);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function startProcess(root: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (/ready|serving queue/.test(chunk.toString())) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with code ${code}`)));
  });
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    }),
  );
}

export interface Row {
  latencyMs: number;
  tasksPerSecond: number;
}

/** Round trip and throughput through spindle/redis, two worker processes of 32 slots. */
export async function measureSpindle(where: Where, url: string, queue: string): Promise<Row> {
  const { root, cli } = where;
  const { ThreadPool, redis, tasks } = await clientSide(where);
  const workers = await Promise.all(
    [0, 1].map(() =>
      startProcess(root, [
        cli,
        'worker',
        '--redis',
        url,
        '--queue',
        queue,
        '--modules',
        TASKS,
        '--workers',
        '32',
        '--threads',
        '1',
      ]),
    ),
  );
  try {
    await using pool = new ThreadPool({ workers: IN_FLIGHT, backend: redis({ url, queue, root }) });
    await pool.apply(tasks.square, [1]);
    let start = performance.now();
    for (let i = 0; i < ROUND_TRIPS; i++) await pool.apply(tasks.square, [i]);
    const latencyMs = (performance.now() - start) / ROUND_TRIPS;
    start = performance.now();
    await pool.map(
      tasks.square,
      Array.from({ length: THROUGHPUT_TASKS }, (_, i) => i),
      1,
    );
    return { latencyMs, tasksPerSecond: THROUGHPUT_TASKS / ((performance.now() - start) / 1000) };
  } finally {
    await stopAll(workers);
  }
}

/** The same jobs through BullMQ used directly (its own Worker in two processes of 32 slots). */
export async function measureBullmq(where: Where, url: string, queueName: string): Promise<Row> {
  const { Queue, QueueEvents } = await import('bullmq');
  const { Redis } = await import('ioredis');
  const workers = await Promise.all(
    [0, 1].map(() => startProcess(where.root, [BULLMQ_WORKER, url, queueName, '32'])),
  );
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection });
  const eventsConnection = new Redis(url, { maxRetriesPerRequest: null });
  const events = new QueueEvents(queueName, { connection: eventsConnection });
  // Each job awaited adds a listener for a moment: 64 at once is what this measures.
  events.setMaxListeners(IN_FLIGHT * 2);
  queue.setMaxListeners(IN_FLIGHT * 2);
  try {
    await events.waitUntilReady();
    const opts = { removeOnComplete: { age: 60 }, removeOnFail: { age: 60 } };
    const run = async (x: number): Promise<unknown> =>
      (await queue.add('square', [x], opts)).waitUntilFinished(events);
    await run(1);
    let start = performance.now();
    for (let i = 0; i < ROUND_TRIPS; i++) await run(i);
    const latencyMs = (performance.now() - start) / ROUND_TRIPS;
    start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < THROUGHPUT_TASKS) await run(next++);
      }),
    );
    return { latencyMs, tasksPerSecond: THROUGHPUT_TASKS / ((performance.now() - start) / 1000) };
  } finally {
    await queue.close();
    await events.close();
    connection.disconnect();
    eventsConnection.disconnect();
    await stopAll(workers);
  }
}

/** A CPU-bound map on `count` worker processes of one thread each: seconds. */
export async function cpuMap(
  where: Where,
  url: string,
  queue: string,
  count: number,
): Promise<number> {
  const { root, cli } = where;
  const { ThreadPool, redis, tasks } = await clientSide(where);
  const workers = await Promise.all(
    Array.from({ length: count }, () =>
      startProcess(root, [
        cli,
        'worker',
        '--redis',
        url,
        '--queue',
        queue,
        '--modules',
        TASKS,
        '--workers',
        '1',
      ]),
    ),
  );
  try {
    await using pool = new ThreadPool({ workers: 8, backend: redis({ url, queue, root }) });
    const ranges = Array.from({ length: 32 }, (_, i): [number, number] => [
      1e6 + i * 50_000,
      1e6 + (i + 1) * 50_000,
    ]);
    const start = performance.now();
    await pool.map(tasks.countPrimes, ranges, 1);
    return (performance.now() - start) / 1000;
  } finally {
    await stopAll(workers);
  }
}

export const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/**
 * The rows of the redis workload of `npm run bench` (one child measures both; a row's label is
 * the participant, spindle, then this).
 */
export const REDIS_LANES = ['on Redis', '(reference: BullMQ directly)'] as const;
