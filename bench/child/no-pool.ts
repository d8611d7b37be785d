// The floors of the I/O workloads (port scan, HTTP): the same calls made without a pool, so a
// pool's time can be read against what Node itself needs for them in the same run.
// `node-main`: every call on the main thread, `concurrency` in flight. `raw-threads`: `threads`
// bare worker threads started for the job, each given an equal share of the calls at once.
import { Worker } from 'node:worker_threads';

const script = new URL('../workers/raw-threads-worker.mjs', import.meta.url);

/** Runs `fn` over `jobs` with at most `concurrency` calls in flight; results in input order. */
export async function onMainThread<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  jobs: readonly A[],
  concurrency: number,
): Promise<R[]> {
  const results = new Array<R>(jobs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await fn(...jobs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
  return results;
}

/** The results of a raw-threads run, and the threads' end (terminate, awaited). */
export interface RawThreadsRun<R> {
  results: R[];
  stop(): Promise<void>;
}

/**
 * Runs the task `name` of bench/workers/tasks.mjs over `jobs` on `threads` bare worker threads,
 * started here, with `concurrency` calls in flight in all (split evenly). Results in input
 * order; `stop()` terminates the threads.
 */
export async function onRawThreads<R>(
  name: string,
  jobs: readonly unknown[][],
  threads: number,
  concurrency: number,
): Promise<RawThreadsRun<R>> {
  const share = Math.ceil(jobs.length / threads);
  const perThread = Math.max(1, Math.ceil(concurrency / threads));
  const workers = Array.from({ length: threads }, () => new Worker(script));
  const stop = async (): Promise<void> => {
    await Promise.all(workers.map((worker) => worker.terminate()));
  };
  try {
    const answers = await Promise.all(
      workers.map((worker, t) => {
        const answer = new Promise<R[]>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`a raw thread exited (code ${code})`)));
        });
        const part = jobs.slice(t * share, (t + 1) * share);
        worker.postMessage({ task: name, jobs: part, concurrency: perThread });
        return answer;
      }),
    );
    return { results: answers.flat(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
