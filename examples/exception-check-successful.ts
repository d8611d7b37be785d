// Guide › "ThreadPool Exception Handling" › "Check for a Task Exception"
// Example of checking for an exception raised in the task. (sleep(1) scaled to 100 ms)
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
// issue a task
const result = pool.applyAsync(task);
// wait for the task to finish
await result.wait();
// check for a failure
if (result.successful()) {
  // get the result
  const value = await result.get();
  // report the result
  console.log(value);
} else {
  // report the failure case
  console.log('Unable to get the result');
}
