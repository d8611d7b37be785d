// Guide › "How to Use AsyncResult in Detail" › "Check if Tasks Were Successful"
// successful() tells whether no task failed; before the tasks are done it throws
// InvalidStateError (Python: ValueError).
import { InvalidStateError, ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(value: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  if (value < 0) {
    throw new Error(`Negative value: ${value}`);
  }
  return value;
}

// create the thread pool
await using pool = new ThreadPool();
for (const items of [
  [1, 2, 3],
  [1, -2, 3],
]) {
  const result = pool.mapAsync(task, items);
  try {
    // check if the tasks were successful
    if (result.successful()) {
      console.log('Successful');
    }
  } catch (e) {
    if (!(e instanceof InvalidStateError)) throw e;
    console.log('Tasks still running');
  }
  await result.wait();
  // check if the tasks have completed
  if (result.ready()) {
    // check if the tasks were successful
    if (result.successful()) {
      console.log('Successful');
    } else {
      console.log('Unsuccessful');
    }
  }
}
