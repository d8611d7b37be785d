// Guide › "ThreadPool Callback Functions" › "How to Configure a Callback Function" (apply_async)
// The callback is called on the main thread with the task's return value.
import { ThreadPool } from 'spindle';

// result callback function
function resultCallback(result: string): void {
  console.log(result);
}

// custom function executed in another thread
async function task(name: string): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return `${name} is done`;
}

// create the thread pool
await using pool = new ThreadPool();
// issue a single task
const result = pool.applyAsync(task, ['task'], { callback: resultCallback });
// the callback has run by the time the result is ready
await result.wait();
