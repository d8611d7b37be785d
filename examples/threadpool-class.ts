// Guide › "Python Threads and the Need for Threads Pools" › "ThreadPool Class in Python"
// Create a pool, issue tasks with map() and applyAsync(), shut it down; then the same with `await using`.
import { ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(item: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return item * 100;
}

const items = [1, 2, 3];
// create a thread pool (Python: ThreadPool(processes=10))
const pool = new ThreadPool({ workers: 10 });
// call a function on each item in a list and handle results
for (const result of await pool.map(task, items)) {
  console.log(`map: ${result}`);
}
// issue a task to the pool and get an AsyncResult immediately
const result = pool.applyAsync(task, [4]);
// get the result once the task is done
const value = await result.get();
console.log(`applyAsync: ${value}`);
// shutdown the thread pool
pool.close();

{
  // create a thread pool (Python: with ThreadPool(10) as pool:)
  await using pool = new ThreadPool(10);
  // call a function on each item in a list and handle results
  for (const result of await pool.map(task, items)) {
    console.log(`await using: ${result}`);
  }
  // shutdown automatically
}
