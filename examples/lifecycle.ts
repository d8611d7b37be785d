// Guide › "Life-Cycle of the ThreadPool" › Steps 1 to 4
// Create the pool, issue tasks synchronously and asynchronously, wait for them, shut the pool down.
import { CancelledError, ThreadPool } from 'spindle';

// custom function executed in another thread
async function task(value: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return value * 2;
}

// Step 1. Create the thread pool (Python: ThreadPool(processes=4))
const pool = new ThreadPool(4);

// Step 2a. Issue tasks synchronously: the caller waits until they are done
console.log(`apply: ${await pool.apply(task, [1])}`);
console.log(`map: ${await pool.map(task, [1, 2, 3])}`);
console.log(`starmap: ${await pool.starmap(task, [[1], [2], [3]])}`);

// Step 2b. Issue tasks asynchronously: the caller carries on
const one = pool.applyAsync(task, [1]);
const many = pool.mapAsync(task, [1, 2, 3]);
const starred = pool.starmapAsync(task, [[1], [2], [3]]);
const inOrder: number[] = [];
for await (const value of pool.imap(task, [1, 2, 3])) inOrder.push(value);
console.log(`imap: ${inOrder}`);
const unordered: number[] = [];
for await (const value of pool.imapUnordered(task, [1, 2, 3])) unordered.push(value);
console.log(`imapUnordered: ${unordered.sort((a, b) => a - b)}`);

// Step 3a. Wait on AsyncResult objects to complete
const result = pool.applyAsync(task, [21]);
// wait for issued task to complete with a timeout (in milliseconds)
await result.wait(10);
// check if the tasks are all done
if (result.ready()) {
  console.log('All Done');
} else {
  console.log('Not Done Yet');
}
// wait for issued task to complete
await result.wait();
console.log(result.ready() ? 'All Done' : 'Not Done Yet');

// Step 3b. Wait on AsyncResult objects for the result
console.log(`applyAsync: ${await one.get()}`);
console.log(`mapAsync: ${await many.get()}`);
console.log(`starmapAsync: ${await starred.get()}`);
console.log(`result: ${await result.get()}`);

// Step 4. Shut down the thread pool: close() lets issued tasks finish, join() waits for them
const last = pool.applyAsync(task, [50]);
pool.close();
await pool.join();
console.log(`closed and joined, last task: ${await last.get()}`);

// terminate() stops at once: tasks not finished are cancelled
const other = new ThreadPool(4);
const unfinished = other.applyAsync(task, [99]);
await other.terminate();
await other.join();
try {
  await unfinished.get();
} catch (e) {
  console.log(`terminated and joined, unfinished task: ${(e as Error).name}`);
  if (!(e instanceof CancelledError)) throw e;
}
