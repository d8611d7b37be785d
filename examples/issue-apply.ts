// Guide › "ThreadPool Issue Tasks" › "How to Use apply()"
// Issue a one-off task and wait for its result; apply() takes the task's arguments as an array.
import { ThreadPool } from 'spindle';

// custom function executed in another thread: blocks for a moment, then returns a value
async function task(name: string, count: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return `${name} x${count}, done in a worker thread`;
}

// create the thread pool
await using pool = new ThreadPool();
// issue a task to the thread pool and wait for it to complete (multiple arguments are fine)
const value = await pool.apply(task, ['task', 3]);
console.log(value);
