// `npm run bench:redis`: spindle/redis against BullMQ used directly for the same jobs, on this
// machine (a redis-server of its own, one client, two worker processes of 32 slots), and the
// speed-up of a CPU-bound map on two worker processes against one, several rounds, medians
// printed as Markdown. The same measurements are workload 12 of `npm run bench` (--only redis).
// See docs/benchmarks.md.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cpuMap,
  measureBullmq,
  measureSpindle,
  median,
  type Row,
  redisServerMissing,
  startRedis,
  type Where,
} from './measure.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const where: Where = { root, cli: join(root, 'dist', 'lib', 'cli.js') };
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const missing = redisServerMissing();
if (missing !== undefined) {
  console.error(`bench:redis skipped: ${missing} (apt-get install -y redis-server)`);
  process.exit(0);
}
const server = await startRedis();
try {
  const spindle: Row[] = [];
  const bullmq: Row[] = [];
  const one: number[] = [];
  const two: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    spindle.push(await measureSpindle(where, server.url, `spindle-${round}`));
    bullmq.push(await measureBullmq(where, server.url, `bullmq-${round}`));
    one.push(await cpuMap(where, server.url, `cpu1-${round}`, 1));
    two.push(await cpuMap(where, server.url, `cpu2-${round}`, 2));
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
