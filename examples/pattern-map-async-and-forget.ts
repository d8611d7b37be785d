// Guide › "ThreadPool Common Usage Patterns" › "map_async() and Forget Pattern"
// Example of the map_async and forget usage pattern. (sleep(random()) is scaled: 1 s → 100 ms)
import { ThreadPool } from 'spindle';

// task to execute in a new thread
async function task(value: number): Promise<void> {
  // generate a random value
  const randomValue = Math.random();
  // block for moment
  await new Promise((resolve) => setTimeout(resolve, randomValue * 100));
  // prepare result
  const result = [value, randomValue];
  // report results
  console.log(`>task got (${result.join(', ')})`);
}

// create the thread pool
await using pool = new ThreadPool();
// issue tasks to the thread pool
pool.mapAsync(task, [...Array(10).keys()]);
// close the pool
pool.close();
// wait for all tasks to complete
await pool.join();
