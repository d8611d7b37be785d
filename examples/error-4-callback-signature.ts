// Guide › "Common Errors When Using the ThreadPool" › "Error 4: Incorrect Function Signature for Callbacks"
// Example of a callback function for applyAsync() that forgets its parameter. (sleep(1) → 100 ms)
// JavaScript lets a function be called with more arguments than it declares, so this is no error
// here: the handler runs, but `result` is the AsyncResult, not the task's value. (Had the
// callback thrown, spindle would report it and carry on: it never hangs the pool as Python does.)
import { ThreadPool } from 'spindle';

// result callback function
function handler(): void {
  console.log(`Callback got: ${result}`);
}

// custom function executed in another thread
async function task(): Promise<string> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
  return 'all done';
}

// create and configure the thread pool
await using pool = new ThreadPool();
// issue tasks to the thread pool
const result = pool.applyAsync(task, [], { callback: handler });
// get the result
const value = await result.get();
console.log(value);
