// Guide › "ThreadPool Exception Handling" › "Exception Handling When Calling map()" (imap)
// Exception in one of many tasks issued to the thread pool with imap(). (sleep(1) scaled to 100 ms)
// As in Python, 0 and 1 are printed, then the error ends the program (exit code 1).
import { ThreadPool } from 'spindle';

// task executed in a worker thread
async function task(value: number): Promise<number> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
  // check for failure case
  if (value === 2) {
    throw new Error('Something bad happened!');
  }
  // report a value
  return value;
}

// create a thread pool
await using pool = new ThreadPool();
// issues tasks to the thread pool
for await (const result of pool.imap(task, [...Array(5).keys()])) {
  console.log(result);
}
