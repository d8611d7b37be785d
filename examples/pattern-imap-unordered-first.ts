// Guide › "ThreadPool Common Usage Patterns" › "imap_unordered() and Wait for First Pattern"
// Example of the imap_unordered and wait for first result usage pattern. (sleep scaled: 1 s → 100 ms)
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

// create the thread pool (leaving the block terminates it and the remaining tasks)
await using pool = new ThreadPool();
// issue tasks and handle results
const it = pool.imapUnordered(task, [...Array(10).keys()]);
// get the result from the first task to complete
const { value: result } = await it.next();
// report first result
console.log(`>got (${result.join(', ')})`);
