// Guide › "Life-Cycle of the ThreadPool" › "Step 4a. ThreadPool Context Manager"
// `await using` (Python's `with`) terminates the pool when the block ends, as Python's __exit__ does:
// tasks issued in the block and not finished by then are cancelled, not waited for.
import { ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(delay: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, delay));
  return `done after ${delay} ms`;
}

async function main() {
  // create and configure the thread pool
  await using pool = new ThreadPool();
  // issue tasks to the pool
  const slow = pool.applyAsync(task, [1000]);
  console.log(await pool.apply(task, [50]));
  return slow;
  // close the pool automatically
}

const slow = await main();
try {
  console.log(await slow.get());
} catch (e) {
  console.log(`the slow task was cut short: ${(e as Error).name}`);
}
