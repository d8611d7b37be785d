// Guide › "ThreadPool Issue Tasks" › "How to Use map()"
// Issue one task per item all at once and wait for every return value, in order.
import { ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(value: number): Promise<number> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 10 * (value % 3)));
  return value * value;
}

// create the thread pool
await using pool = new ThreadPool();
const items = [...Array(10).keys()];
// iterates return values from the issued tasks
for (const result of await pool.map(task, items)) {
  console.log(result);
}
// a chunksize groups the tasks into batches, each sent to a worker at once
console.log(`chunksize 5: ${(await pool.map(task, items, 5)).join(', ')}`);
