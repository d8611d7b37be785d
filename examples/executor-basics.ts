// Guide › "ThreadPool vs ThreadPoolExecutor" › "What is ThreadPoolExecutor"
// ThreadPoolExecutor: map() and submit() with Future, shutdown(), and `await using` (Python's `with`).
import { ThreadPoolExecutor } from 'spindle';

// custom function executed in another thread
async function task(item: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return item * 100;
}

const items = [1, 2, 3];
// create a thread pool
const executor = new ThreadPoolExecutor({ maxWorkers: 10 });
// call a function on each item in a list and handle results
for await (const result of executor.map(task, items)) {
  console.log(`map: ${result}`);
}
// submit a task to the pool and get a future immediately
const future = executor.submit(task, 4);
// get the result once the task is done
const result = await future.result();
console.log(`submit: ${result}`);
// shutdown the thread pool
await executor.shutdown();

{
  // create a thread pool
  await using executor = new ThreadPoolExecutor({ maxWorkers: 10 });
  // call a function on each item in a list and handle results
  for await (const result of executor.map(task, items)) {
    console.log(`await using: ${result}`);
  }
  // shutdown is called automatically
}
