// Guide › "How to Use AsyncResult in Detail" › "Get a Result"
// get() waits for the result, get(timeout) gives up with TimeoutError, and get() rethrows a task's error.
// Timeouts are in milliseconds (Python: seconds); the task goes on after a get() timeout.
import { ThreadPool, TimeoutError } from 'spindle';

// custom function executed in another thread
async function task(delay: number, fail: boolean): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, delay));
  if (fail) {
    throw new Error('Something bad happened!');
  }
  return `done after ${delay} ms`;
}

// create the thread pool
await using pool = new ThreadPool();

// get the result of the task
let result = pool.applyAsync(task, [50, false]);
let value = await result.get();
console.log(value);

// get the task result with a timeout
result = pool.applyAsync(task, [300, false]);
try {
  value = await result.get(50);
  console.log(value);
} catch (e) {
  if (e instanceof TimeoutError) {
    console.log(`Gave up waiting: ${e.name}`);
  } else {
    throw e;
  }
}
// the task was not stopped: its result is still there to get
console.log(await result.get());

// get the task result that might raise an exception
result = pool.applyAsync(task, [50, true]);
try {
  value = await result.get();
  console.log(value);
} catch (e) {
  console.log(`Task failed: ${(e as Error).message}`);
}
