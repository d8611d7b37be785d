// Guide › "Common Errors When Using the ThreadPool" › "Error 6: Joining ThreadPool While Running"
// Example of an error while joining the pool. (sleep(1) scaled to 100 ms)
// join() rejects with InvalidStateError "Pool is still running" (Python: ValueError), and the
// program ends with it (exit code 1). The fix: call pool.close() (or terminate()) before join().
import { ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(): Promise<string> {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
  return 'all done';
}

// start the thread pool
await using pool = new ThreadPool();
// issue the task
pool.applyAsync(task);
// wait for all tasks to finish
await pool.join();
