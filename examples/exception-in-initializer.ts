// Guide › "ThreadPool Exception Handling" › "Exception Handling in Worker Initialization"
// Example of an exception raised in the worker initializer function. (sleep(1) scaled to 100 ms)
// spindle differs from Python here on purpose: instead of respawning failing threads forever, the
// pool becomes broken and the task rejects with BrokenPoolError, whose `cause` is the
// initializer's error; the program ends with that error (exit code 1) instead of looping.
import { ThreadPool } from 'spindle';

// function for initializing the worker thread
function init(): void {
  // raise an exception
  throw new Error('Something bad happened!');
}

// task executed in a worker thread
async function task(): Promise<void> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
}

// create a thread pool
await using pool = new ThreadPool({ initializer: init });
// issue a task
await pool.apply(task);
