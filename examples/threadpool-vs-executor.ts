// Guide › "ThreadPool vs ThreadPoolExecutor" › "Differences Between ThreadPool and ThreadPoolExecutor"
// The four differences, shown side by side: cancel, groups of tasks, map variants, the exception.
import { asCompleted, FIRST_COMPLETED, ThreadPool, ThreadPoolExecutor, wait } from 'spindle';

// custom function executed in another thread
async function task(value: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 50 * Math.max(0, value)));
  if (value < 0) {
    throw new Error(`Bad value: ${value}`);
  }
  return value;
}

await using pool = new ThreadPool(4);
await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });

// 1. Ability to cancel tasks: a Future not yet started can be cancelled
const running = executor.submit(task, 5);
const queued = executor.submit(task, 1);
console.log(
  `1. executor: cancel() of a queued task: ${queued.cancel()}, cancelled: ${queued.cancelled()}`,
);
console.log(`   executor: first task still gives ${await running.result()}`);
console.log('   ThreadPool: AsyncResult has no cancel(), only terminate() for the whole pool');

// 2. Operations on groups of tasks: wait() and asCompleted() on futures
await using executor4 = new ThreadPoolExecutor({ maxWorkers: 4 });
const futures = [3, 1, 2].map((value) => executor4.submit(task, value));
const { done, notDone } = await wait(futures, { returnWhen: FIRST_COMPLETED });
console.log(`2. executor: wait(FIRST_COMPLETED): ${done.size} done, ${notDone.size} not done`);
const order: number[] = [];
for await (const future of asCompleted(futures)) {
  order.push(await future.result());
}
console.log(`   executor: asCompleted order: ${order.join(', ')}`);

// 3. Asynchronous map functions: six map variants on ThreadPool, one map() on the executor
const items = [1, 2, 3];
const fromExecutor: number[] = [];
for await (const value of executor4.map(task, items)) fromExecutor.push(value);
console.log(`3. executor: map: ${fromExecutor.join(', ')}`);
console.log(`   ThreadPool: map: ${(await pool.map(task, items)).join(', ')}`);
console.log(`   ThreadPool: mapAsync: ${(await pool.mapAsync(task, items).get()).join(', ')}`);
console.log(`   ThreadPool: starmap: ${(await pool.starmap(task, [[1], [2], [3]])).join(', ')}`);

// 4. Ability to access the exception: Future.exception() returns it
const failing = executor4.submit(task, -1);
const error = await failing.exception();
console.log(`4. executor: exception(): ${error instanceof Error ? error.message : error}`);
const result = pool.applyAsync(task, [-1]);
await result.wait();
console.log(
  `   ThreadPool: successful(): ${result.successful()}, the error only comes out of get()`,
);
