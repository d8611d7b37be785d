// Worker for the raw-threads floor of the I/O workloads: no pool, no task protocol. One message
// `{ task, jobs, concurrency }` (`task` a name from tasks.mjs, `jobs` its argument lists); the
// worker keeps `concurrency` calls in flight and answers with every result, in order, in one
// message.
import { parentPort } from 'node:worker_threads';
import { httpGet, testPortNumber } from './tasks.mjs';

const tasks = { httpGet, testPortNumber };

parentPort.once('message', async ({ task, jobs, concurrency }) => {
  const fn = tasks[task];
  const results = new Array(jobs.length);
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await fn(...jobs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
  parentPort.postMessage(results);
});
