// Guide › "ThreadPool Exception Handling" › "Exception Handling Within the Task"
// Example of handling an exception raised within a task. (sleep(1) scaled to 100 ms)
import { ThreadPool } from 'spindle';

// task executed in a worker thread
async function task(): Promise<string> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
  try {
    throw new Error('Something bad happened!');
  } catch {
    return 'Unable to get the result';
  }
  // (the guide's unreachable `return 'Never gets here'` is left out: the linter rejects it)
}

// create a thread pool
await using pool = new ThreadPool();
// issue a task
const result = pool.applyAsync(task);
// get the result
const value = await result.get();
// report the result
console.log(value);
