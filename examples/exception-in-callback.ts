// Guide › "ThreadPool Exception Handling" › "Exception Handling in Task Completion Callbacks"
// Example of an exception in a callback function for the thread pool. (sleep(1) scaled to 100 ms)
// spindle differs from Python here on purpose: a throwing callback does not break the pool nor
// hang the caller. wait() returns, the error is reported as a warning on stderr (or through the
// pool's 'error' event when something listens to it), and the program exits normally.
import { ThreadPool } from 'spindle';

// callback function
function handler(result: number): void {
  // report result
  console.log(`Got result ${result}`);
  // fail with an exception
  throw new Error('Something bad happened!');
}

// task executed in a worker thread
async function task(): Promise<number> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
  // return a value
  return 22;
}

// create a thread pool
await using pool = new ThreadPool();
// issue a task to the thread pool
const result = pool.applyAsync(task, [], { callback: handler });
// wait for the task to finish
await result.wait();
