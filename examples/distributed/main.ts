// From one machine to many (docs/distributed.md): the guide's port scanner and a CPU-bound map,
// unchanged but for the `backend` option, run by the `spindle worker` processes serving a queue.
//   1. start Redis:    redis-server
//   2. start workers:  node --import tsx node_modules/.bin/spindle worker --redis redis://127.0.0.1:6379 \
//                        --queue spindle-example --modules ./examples/distributed/tasks.ts
//   3. run this:       node --import tsx examples/distributed/main.ts
// (REDIS_URL and SPINDLE_QUEUE name another Redis or queue.)
import { fromModule, ThreadPool } from 'spindle';
import { redis } from 'spindle/redis';
import { HOST, openListeners } from '../lib/loopback.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const queue = process.env.SPINDLE_QUEUE ?? 'spindle-example';
// A task module, not inline functions: only references to what the workers serve are sent.
const tasks = fromModule<typeof import('./tasks.js')>(new URL('./tasks.ts', import.meta.url));

const listeners = await openListeners();
try {
  // 256 tasks at once across every worker of the queue.
  await using pool = new ThreadPool({ workers: 256, backend: redis({ url, queue }) });

  // The port scanner: 1,024 ports of 127.0.0.1, 32 ports to a job.
  const args = listeners.ports.map((port): [string, number] => [HOST, port]);
  const results = await pool.starmap(tasks.testPortNumber, args, 32);
  const open = listeners.ports.filter((_, i) => results[i]);
  for (const port of listeners.open) {
    console.log(
      `Port ${port === listeners.open[0] ? 'A' : 'B'} is ${open.includes(port) ? 'open' : 'closed'}`,
    );
  }

  // A CPU-bound map: the primes below 2,000,000, counted in 40 ranges.
  const ranges = Array.from({ length: 40 }, (_, i): [number, number] => [
    i * 50_000,
    (i + 1) * 50_000,
  ]);
  const counts = await pool.map(tasks.countPrimes, ranges);
  console.log(`Primes below 2,000,000: ${counts.reduce((a, b) => a + b, 0)}`);
} finally {
  await listeners.close();
}
