// `npm run bench:redis`: spindle/redis against BullMQ used directly for the same jobs, on this
// machine (a redis-server of its own, one client, two worker processes of 32 slots), and the
// speed-up of a CPU-bound map on two worker processes against one. See docs/benchmarks.md.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { fromModule, ThreadPool } from 'spindle';
import { redis } from 'spindle/redis';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const TASKS = './bench/redis/tasks.mjs';
const tasks = fromModule<typeof import('./tasks.mjs')>(new URL('./tasks.mjs', import.meta.url));
const ROUND_TRIPS = 300;
const THROUGHPUT_TASKS = 3000;
const IN_FLIGHT = 64;
const ROUNDS = Number(process.env.ROUNDS ?? 3);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; stop(): void }> {
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

function startProcess(args: string[]): Promise<ChildProcess> {
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

interface Row {
  latencyMs: number;
  tasksPerSecond: number;
}

async function measureSpindle(url: string, queue: string): Promise<Row> {
  const workers = await Promise.all(
    [0, 1].map(() =>
      startProcess([
        'dist/lib/cli.js',
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

async function measureBullmq(url: string, queueName: string): Promise<Row> {
  const workers = await Promise.all(
    [0, 1].map(() => startProcess(['bench/redis/bullmq-worker.mjs', url, queueName, '32'])),
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
async function cpuMap(url: string, queue: string, count: number): Promise<number> {
  const workers = await Promise.all(
    Array.from({ length: count }, () =>
      startProcess([
        'dist/lib/cli.js',
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

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const server = await startRedis();
try {
  const spindle: Row[] = [];
  const bullmq: Row[] = [];
  const one: number[] = [];
  const two: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    spindle.push(await measureSpindle(server.url, `spindle-${round}`));
    bullmq.push(await measureBullmq(server.url, `bullmq-${round}`));
    one.push(await cpuMap(server.url, `cpu1-${round}`, 1));
    two.push(await cpuMap(server.url, `cpu2-${round}`, 2));
  }
  const row = (name: string, rows: Row[]): string =>
    `| ${name} | ${median(rows.map((r) => r.latencyMs)).toFixed(2)} ms | ${median(rows.map((r) => r.tasksPerSecond)).toFixed(0)} tasks/s |`;
  console.log(
    `Medians of ${ROUNDS} rounds; one client, two worker processes of 32 slots, Redis on this machine.\n`,
  );
  console.log('| | round trip | throughput (64 in flight) |\n|---|---|---|');
  console.log(row('spindle/redis', spindle));
  console.log(row('BullMQ directly', bullmq));
  console.log(
    `\nCPU-bound map (32 ranges of primes): ${median(one).toFixed(2)} s on one worker process, ${median(two).toFixed(2)} s on two: ${(median(one) / median(two)).toFixed(2)}x`,
  );
} finally {
  server.stop();
}
