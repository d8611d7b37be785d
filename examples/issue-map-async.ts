// Guide › "ThreadPool Issue Tasks" › "How to Use map_async()"
// Issue one task per item all at once without blocking; mapAsync() returns an AsyncResult.
import { ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(value: number): Promise<number> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 10 * (value % 3)));
  return value * value;
}

// create the thread pool
await using pool = new ThreadPool();
// issue tasks to the thread pool asynchronously
const result = pool.mapAsync(task, [...Array(10).keys()], {
  callback: (values) => console.log(`callback got ${values.length} values`),
});
console.log('tasks issued');
// iterate over return values from the issued tasks
for (const value of await result.get()) {
  console.log(value);
}
