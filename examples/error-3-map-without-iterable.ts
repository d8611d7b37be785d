// Guide › "Common Errors When Using the ThreadPool" › "Error 3: Incorrect Function Signature for map()"
// Example of calling map without an iterable. (sleep(1) scaled to 100 ms)
// TypeScript already rejects this at compile time (hence the @ts-expect-error); at run time
// spindle's map() throws a TypeError, as Python does, and no task is issued (exit code 1).
import { ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(_value: number): Promise<string> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
  return 'all done';
}

// start the thread pool
await using pool = new ThreadPool();
// issue all tasks
// @ts-expect-error: the error this example shows, no iterable
for (const result of await pool.map(task)) {
  console.log(result);
}
