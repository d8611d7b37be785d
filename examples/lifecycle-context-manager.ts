// Guide › "Life-Cycle of the ThreadPool" › "Step 4a. ThreadPool Context Manager"
// `await using` (Python's `with`) terminates the pool when the block ends, as Python's __exit__ does:
// tasks issued in the block and not finished by then are cancelled, not waited for.
import { type AsyncResult, ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(delay: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, delay));
  return `done after ${delay} ms`;
}

let slow: AsyncResult<string> | undefined;
{
  // create and configure the thread pool
  await using pool = new ThreadPool();
  // issue tasks to the pool
  slow = pool.applyAsync(task, [1000]);
  console.log(await pool.apply(task, [50]));
  // close the pool automatically
}
try {
  console.log(await slow.get());
} catch (e) {
  console.log(`the slow task was cut short: ${(e as Error).name}`);
}
