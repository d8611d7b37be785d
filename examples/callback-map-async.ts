// Guide › "ThreadPool Callback Functions" › "How to Configure a Callback Function" (map_async)
// With mapAsync() the callback is called once, with the array of every task's return value.
import { ThreadPool } from 'spindle';

// result callback function
function resultCallback(result: number[]): void {
  // iterate all results
  for (const value of result) {
    console.log(value);
  }
}

// custom function executed in another thread
async function task(value: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return value * 10;
}

// create the thread pool
await using pool = new ThreadPool();
// issue the tasks
const result = pool.mapAsync(task, [...Array(5).keys()], { callback: resultCallback });
await result.wait();
