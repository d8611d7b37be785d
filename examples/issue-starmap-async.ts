// Guide › "ThreadPool Issue Tasks" › "How to Use starmap_async()"
// Like map_async(), but each item is the array of arguments of one call.
import { ThreadPool } from 'spindle';

// custom function executed in another thread, with two arguments
async function task(a: number, b: number): Promise<number> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 10));
  return a * b;
}

// create the thread pool
await using pool = new ThreadPool();
const items: [number, number][] = [...Array(5).keys()].map((i) => [i, i + 1]);
// issue tasks to the thread pool asynchronously
const result = pool.starmapAsync(task, items);
console.log('tasks issued');
// iterate over return values from the issued tasks
for (const value of await result.get()) {
  console.log(value);
}
