// Guide › "Common Errors When Using the ThreadPool" › "Error 7: Issuing Tasks to a Closed Pool"
// Example of issuing tasks to a pool that is closed. (sleep(1) scaled to 100 ms)
// Our copy of the guide cuts this listing off after its imports; the rest follows the section's
// text. Issuing to a closed pool throws InvalidStateError "Pool not running" (Python: ValueError),
// and the program ends with it (exit code 1).
import { ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(): Promise<string> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
  return 'all done';
}

// start the thread pool
await using pool = new ThreadPool();
// close the thread pool
pool.close();
// issue the task
const result = pool.applyAsync(task);
// get the result
const value = await result.get();
console.log(value);
