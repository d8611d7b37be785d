// Guide › "How to Configure the ThreadPool" › "How to Configure the Initialization Function"
// initializer(...initargs) runs once in each worker thread before it takes tasks.
// Threads start when work needs them, so the initializer runs once per thread actually started.
import { ThreadPool } from 'spindle';

// worker thread initialization function
function workerInit(arg1: string, arg2: string, arg3: string): void {
  // keep the arguments in this thread's global scope, for its tasks
  Object.assign(globalThis, { workerArgs: [arg1, arg2, arg3] });
  console.log(`Initializing a worker thread with ${arg1}, ${arg2}, ${arg3}`);
}

// custom function executed in another thread, using what the initializer set up
async function task(value: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const { workerArgs } = globalThis as unknown as { workerArgs: string[] };
  return `task ${value} sees ${workerArgs.join(', ')}`;
}

// create a thread pool and initialize workers
await using pool = new ThreadPool({ initializer: workerInit, initargs: ['a', 'b', 'c'] });
for (const result of await pool.map(task, [...Array(4).keys()])) {
  console.log(result);
}
