// Guide › "Common Errors When Using the ThreadPool" › "Error 1: Using a Function Call in apply_async()"
// Example of calling applyAsync with a function call. (sleep(1) scaled to 100 ms)
// TypeScript already rejects this at compile time (hence the @ts-expect-error); at run time
// spindle throws a TypeError synchronously, as Python does ("'str' object is not callable"):
// here task() returns a Promise, which is not a function. The program ends with exit code 1.
import { ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(): Promise<string> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
  return 'all done';
}

// start the thread pool
await using pool = new ThreadPool();
// issue the task
// @ts-expect-error: the error this example shows, a function call instead of a function
const result = pool.applyAsync(task());
// get the result
const value = await result.get();
console.log(value);
