// Guide › "ThreadPool Issue Tasks" › "How to Use imap_unordered()"
// Issue tasks one by one, lazily, and handle each return value in the order tasks complete.
import { ThreadPool } from 'spindle';

// custom function executed in another thread: later items finish first
async function task(value: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 20 * (10 - value)));
  return value * value;
}

// create the thread pool with a worker per task
await using pool = new ThreadPool(10);
// iterates results as tasks are completed, in the order they are completed
for await (const result of pool.imapUnordered(task, [...Array(10).keys()])) {
  console.log(result);
}
