// Guide › "ThreadPool Callback Functions" › "How to Configure an Error Callback Function"
// The error callback is called on the main thread with the error of the first task that failed.
import { ThreadPool } from 'spindle';

// error callback function
function customCallback(error: Error): void {
  console.log(error.message);
}

// custom function executed in another thread
async function task(value: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 10 * value));
  if (value >= 2) {
    throw new Error(`Task ${value} failed`);
  }
  return value;
}

// create the thread pool
await using pool = new ThreadPool(5);
// issue a single task
const result = pool.applyAsync(task, [3], { errorCallback: customCallback });
await result.wait();
// issue many tasks: only the first error reaches the error callback
const results = pool.mapAsync(task, [0, 1, 2, 3, 4], { errorCallback: customCallback });
await results.wait();
