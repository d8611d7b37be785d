// Guide › "ThreadPool Issue Tasks" › "How to Use starmap()"
// Like map(), but each item is the array of arguments of one call.
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
// iterates return values from the issued tasks
for (const result of await pool.starmap(task, items)) {
  console.log(result);
}
