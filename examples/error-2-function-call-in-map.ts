// Guide › "Common Errors When Using the ThreadPool" › "Error 2: Using a Function Call in map()"
// Example of calling map with a function call. (sleep(1) scaled to 100 ms)
// TypeScript already rejects this at compile time (hence the @ts-expect-error). JavaScript has no
// "missing 1 required positional argument": task() runs with value undefined and returns a
// Promise, and spindle's map() throws a TypeError because that is not a function (exit code 1).
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
// @ts-expect-error: the error this example shows, a function call instead of a function
for (const result of await pool.map(task(), [...Array(5).keys()])) {
  console.log(result);
}
