// Guide › "How to Use AsyncResult in Detail" › "Check if Tasks Are Completed"
// ready() tells whether the issued tasks are done, successfully or not, without waiting.
import { ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(value: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return value;
}

// create the thread pool
await using pool = new ThreadPool();
const result = pool.mapAsync(task, [1, 2, 3]);
for (let i = 0; i < 2; i++) {
  // check if tasks are still running
  if (result.ready()) {
    console.log('Tasks are done');
  } else {
    console.log('Tasks are not done');
  }
  await result.wait();
}
