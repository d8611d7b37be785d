// Workload 6: the seed's port scan (examples/port-scanner-concurrent.ts). Connect to each port
// of 127.0.0.1 (the parent process listens on some of them) and report which accept. spindle
// does it as the Python guide does: `ThreadPool(1024)` (1,024 task slots on the default thread
// count) and `starmap`, timed from construction through the `with` block's exit (terminate,
// join); `node-serial` awaits one connect after another on the main thread. The floors, no pool:
// `node-main` makes every connect at once on the main thread, `raw-threads` on as many bare
// worker threads as the pools get, started for the scan (bench/child/no-pool.ts).
import { loadSpindle } from '../adapters/spindle.js';
import { expectEqual } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import { onMainThread, onRawThreads } from '../child/no-pool.js';
import type { ChildSpec } from '../shared/protocol.js';

/** Runs in a spindle thread as inline source: it can only use its arguments and imports. */
async function testPortNumber(host: string, port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port });
    const settle = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(3000, () => settle(false));
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
  });
}

interface Scan {
  results: boolean[];
  /** From the start to the results. */
  scanMs: number;
  /** From the start to the pool's end (Python's `with` block, spindle's `await using`). */
  totalMs: number;
}

async function scanWithSpindle(probes: [string, number][]): Promise<Scan> {
  const { ThreadPool } = await loadSpindle();
  const t0 = performance.now();
  const pool = new ThreadPool(probes.length);
  const results = await pool.starmap(testPortNumber, probes);
  const scanMs = performance.now() - t0;
  await pool.terminate();
  await pool.join();
  return { results, scanMs, totalMs: performance.now() - t0 };
}

async function scanSerially(probes: [string, number][]): Promise<Scan> {
  const t0 = performance.now();
  const results: boolean[] = [];
  for (const [host, port] of probes) results.push(await testPortNumber(host, port));
  const scanMs = performance.now() - t0;
  return { results, scanMs, totalMs: scanMs };
}

async function scanOnMainThread(probes: [string, number][]): Promise<Scan> {
  const t0 = performance.now();
  const results = await onMainThread(testPortNumber, probes, probes.length);
  const scanMs = performance.now() - t0;
  return { results, scanMs, totalMs: scanMs };
}

async function scanOnRawThreads(probes: [string, number][], threads: number): Promise<Scan> {
  const t0 = performance.now();
  const run = await onRawThreads<boolean>('testPortNumber', probes, threads, probes.length);
  const scanMs = performance.now() - t0;
  await run.stop();
  return { results: run.results, scanMs, totalMs: performance.now() - t0 };
}

export async function run(spec: ChildSpec<'portscan'>): Promise<Measurement> {
  const { host, ports, expectOpen } = spec.params;
  const probes = ports.map((port): [string, number] => [host, port]);
  let scan: Scan;
  if (spec.pool === 'spindle') scan = await scanWithSpindle(probes);
  else if (spec.pool === 'node-serial') scan = await scanSerially(probes);
  else if (spec.pool === 'node-main') scan = await scanOnMainThread(probes);
  else if (spec.pool === 'raw-threads') scan = await scanOnRawThreads(probes, spec.threads);
  else throw new Error(`the port scan has no ${spec.pool} variant`);

  const { results, scanMs, totalMs } = scan;
  expectEqual('result count', results.length, ports.length);
  const open = new Set(ports.filter((_, i) => results[i]));
  const missing = expectOpen.filter((port) => !open.has(port));
  expectEqual('listening ports not found', missing.join(',') || 'none', 'none');
  return { result: { metrics: { totalMs, scanMs, open: open.size } } };
}
