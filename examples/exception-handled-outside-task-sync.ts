// Guide › "ThreadPool Exception Handling" › "Exception Handling Outside the Task" (apply)
// Example of handling an exception raised within a task in the caller. (sleep(1) scaled to 100 ms)
import { ThreadPool } from 'spindle';

// task executed in a worker thread
async function task(): Promise<string> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
  // fail with an exception
  throw new Error('Something bad happened!');
  // (the guide's unreachable `return 'Never gets here'` is left out: the linter rejects it)
}

// create a thread pool
await using pool = new ThreadPool();
try {
  // issue a task and get the result
  const value = await pool.apply(task);
  // report the result
  console.log(value);
} catch {
  console.log('Unable to get the result');
}
