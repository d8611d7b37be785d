// Guide › "ThreadPool Common Usage Patterns" › "imap_unordered() and Use as Completed Pattern"
// Example of the imap_unordered and use as completed usage pattern. (sleep scaled: 1 s → 100 ms)
import { ThreadPool } from 'spindle';

// task to execute in a new thread
async function task(value: number): Promise<[number, number]> {
  // generate a random value
  const randomValue = Math.random();
  // block for moment
  await new Promise((resolve) => setTimeout(resolve, randomValue * 100));
  // return result
  return [value, randomValue];
}

// create the thread pool
await using pool = new ThreadPool();
// issue tasks and handle results
for await (const result of pool.imapUnordered(task, [...Array(10).keys()])) {
  console.log(`>got (${result.join(', ')})`);
}
