// Guide › "Common Errors When Using the ThreadPool" › "Error 5: Tasks Fail Silently"
// Example of asynchronous tasks failing silently in the thread pool. (sleep(1) scaled to 100 ms)
// As in Python, nothing is printed: the error waits in the AsyncResult for get() (or an
// errorCallback) to report it, and an AsyncResult nobody reads never becomes an unhandled rejection.
import { ThreadPool } from 'spindle';

// task executed in a worker thread
async function task(): Promise<void> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
  // fail
  throw new Error('Something bad happened');
  // (the guide's unreachable `print(f'Task done')` is left out: the linter rejects it)
}

// create and configure the thread pool
await using pool = new ThreadPool();
// issue an asynchronous task into the thread pool
const result = pool.applyAsync(task);
// wait for all tasks to finish
await result.wait();
