// Guide › "How to Configure the ThreadPool" › "How to Configure the Number of Worker Threads"
// `workers` (Python's `processes`) is how many tasks may run at once; the default is one per core.
// (spindle also has `threads`, how many isolates carry those workers: see the README.)
import { availableParallelism } from 'node:os';
import { ThreadPool } from 'spindle';

// custom function executed in another thread: blocks for 100 ms
async function task(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100));
}

// run 8 tasks of 100 ms and report how long they took together
async function report(pool: ThreadPool, label: string): Promise<void> {
  const items = Array.from({ length: 8 }, () => undefined);
  // threads start when work first needs them: start them, so that only the tasks are timed
  await pool.map(task, items);
  const start = performance.now();
  await pool.map(task, items);
  const seconds = (performance.now() - start) / 1000;
  console.log(`${label}: 8 tasks of 0.1 seconds took ${seconds.toFixed(1)} seconds`);
}

console.log(`Logical CPU cores: ${availableParallelism()}`);
// create a default thread pool: one worker per logical CPU core
const pool = new ThreadPool();
await report(pool, `ThreadPool() (${availableParallelism()} workers)`);
await pool.terminate();

// create a thread pool with 4 workers (Python: ThreadPool(processes=4))
const pool4 = new ThreadPool({ workers: 4 });
await report(pool4, 'ThreadPool({ workers: 4 })');
await pool4.terminate();

// the number of workers is the first argument, it need not be named (Python: ThreadPool(4))
{
  // create a thread pool with 8 workers, shut down automatically
  await using pool8 = new ThreadPool(8);
  await report(pool8, 'ThreadPool(8)');
}
