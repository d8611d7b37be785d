// BullMQ used directly, for bench/redis/run.ts: a Worker that runs the same task functions in
// its own process (no threads), `concurrency` jobs at once.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { countPrimes, square } from './tasks.mjs';

const tasks = { countPrimes, square };

const [url, queue, concurrency] = process.argv.slice(2);
const connection = new Redis(url, { maxRetriesPerRequest: null });
const worker = new Worker(queue, async (job) => tasks[job.name](...job.data), {
  connection,
  concurrency: Number(concurrency),
});
// Connection errors are retried by the client; nothing to report here.
worker.on('error', () => {});
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
