// Guide › "ThreadPool Issue Tasks" › "How to Use apply_async()"
// Issue a one-off task asynchronously: applyAsync() returns an AsyncResult at once.
import { ThreadPool } from 'spindle';

// custom function executed in another thread: blocks for a moment, then returns a value
async function task(name: string): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return `${name} done`;
}

// create the thread pool
await using pool = new ThreadPool();
// issue a task asynchronously to the thread pool
const result = pool.applyAsync(task, ['task'], {
  callback: (value) => console.log(`callback: ${value}`),
  errorCallback: (error) => console.log(`error callback: ${error}`),
});
// the caller carries on while the task runs
console.log(`issued, ready: ${result.ready()}`);
// get the result from the issued task
const value = await result.get();
console.log(`got: ${value}`);
