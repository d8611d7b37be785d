// Workload 8: the Python guide's I/O pattern. `ThreadPool(W).map(get, urls)` over a local
// server that answers each GET after a delay (a process of its own, started by the parent);
// W comes from the variant (`W=100`). spindle as the guide writes it, with Node's `http.get`
// inside the task; piscina with W tasks in flight (W / threads per thread). Timed from the
// pool's construction to the end of its `await using` block (terminate and join). The floors, no
// pool: `node-main` keeps W GETs in flight on the main thread, `raw-threads` on as many bare
// worker threads as the pools get, started for the job (bench/child/no-pool.ts).
import { loadSpindle } from '../adapters/spindle.js';
import { expectEqual } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import { onMainThread, onRawThreads } from '../child/no-pool.js';
import type { ChildSpec } from '../shared/protocol.js';

/** Runs in a spindle thread as inline source: it can only use its argument and imports. */
async function httpGet(url: string): Promise<number> {
  const http = await import('node:http');
  return new Promise<number>((resolve, reject) => {
    const request = http.get(url, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

async function withSpindle(workers: number, urls: string[]): Promise<number[]> {
  const { ThreadPool } = await loadSpindle();
  const pool = new ThreadPool(workers);
  try {
    return await pool.map(httpGet, urls);
  } finally {
    await pool.terminate();
    await pool.join();
  }
}

async function withPiscina(workers: number, threads: number, urls: string[]): Promise<number[]> {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({
    filename: new URL('../workers/tasks.mjs', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: Math.ceil(workers / threads),
    // Async tasks need the thread's event loop running between tasks (piscina's own advice).
    atomics: 'async',
  });
  try {
    return await Promise.all(
      urls.map((url) => pool.run(url, { name: 'httpGet' }) as Promise<number>),
    );
  } finally {
    await pool.destroy();
  }
}

async function withRawThreads(workers: number, threads: number, urls: string[]): Promise<number[]> {
  const jobs = urls.map((url) => [url]);
  const run = await onRawThreads<number>('httpGet', jobs, threads, workers);
  await run.stop();
  return run.results;
}

export async function run(spec: ChildSpec<'http'>): Promise<Measurement> {
  const { host, port, delayMs, minRequests } = spec.params;
  const workers = Number(/^W=(\d+)$/.exec(spec.variant ?? '')?.[1]);
  if (!(workers > 0))
    throw new Error(`the HTTP workload needs a variant W=<n>, got ${spec.variant}`);
  const requests = Math.max(minRequests, 2 * workers);
  const urls = Array.from({ length: requests }, (_, i) => `http://${host}:${port}/${i}`);
  const t0 = performance.now();
  let statuses: number[];
  if (spec.pool === 'spindle') statuses = await withSpindle(workers, urls);
  else if (spec.pool === 'piscina') statuses = await withPiscina(workers, spec.threads, urls);
  else if (spec.pool === 'node-main')
    statuses = await onMainThread(
      httpGet,
      urls.map((url) => [url] as [string]),
      workers,
    );
  else if (spec.pool === 'raw-threads')
    statuses = await withRawThreads(workers, spec.threads, urls);
  else throw new Error(`the HTTP workload has no ${spec.pool} variant`);
  const totalMs = performance.now() - t0;
  expectEqual('responses', statuses.filter((s) => s === 200).length, requests);
  const floorMs = Math.ceil(requests / workers) * delayMs;
  return { result: { metrics: { totalMs, floorMs, requests } } };
}
