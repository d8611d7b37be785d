// Guide › "ThreadPool Common Usage Patterns" › "map() and Iterate Results Pattern"
// Example of the map and iterate results usage pattern. (sleep(random()) is scaled: 1 s → 100 ms)
import { ThreadPool } from 'spindle';

// task to execute in a new thread
async function task(value: number): Promise<[number, number]> {
  // generate a random value
  const randomValue = Math.random();
  // block for moment
  await new Promise((resolve) => setTimeout(resolve, randomValue * 100));
  // return a value
  return [value, randomValue];
}

// create the thread pool
await using pool = new ThreadPool();
// issue tasks and handle results
for (const result of await pool.map(task, [...Array(10).keys()])) {
  console.log(`>got (${result.join(', ')})`);
}
