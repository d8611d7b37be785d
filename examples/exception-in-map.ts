// Guide › "ThreadPool Exception Handling" › "Exception Handling When Calling map()" (map)
// Exception in one of many tasks issued to the thread pool synchronously. (sleep(1) scaled to 100 ms)
// As in Python, the error ends the program: Node.js prints it and exits with code 1.
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
for (const result of await pool.map(task, [...Array(5).keys()])) {
  console.log(result);
}
