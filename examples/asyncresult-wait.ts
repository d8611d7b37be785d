// Guide › "How to Use AsyncResult in Detail" › "Wait For Completion"
// wait() blocks until the task is done; wait(timeout) gives up quietly, so check ready() after it.
// Timeouts are in milliseconds (Python: seconds); wait() also resolves to ready() for convenience.
import { ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(delay: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, delay));
}

// create the thread pool
await using pool = new ThreadPool();

// wait for issued task to complete
let result = pool.applyAsync(task, [50]);
await result.wait();
console.log('Task completed');

// wait for issued task to complete with a timeout
for (const delay of [50, 500]) {
  result = pool.applyAsync(task, [delay]);
  await result.wait(200);
  // check if the tasks are all done
  if (result.ready()) {
    console.log('All Done');
  } else {
    console.log('Not Done Yet');
  }
}
