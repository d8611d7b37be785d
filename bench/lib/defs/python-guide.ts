// The Python guide's own I/O programs, side by side with Python's ThreadPool: the port scan
// and HTTP GETs to a slow local server, each with `ThreadPool(W)` and a map.
import { HOST, openPortBlock } from '../listeners.js';
import { startSlowServer } from '../slow-server.js';
import type { WorkloadDef } from '../workloads.js';
import { count } from './common.js';

const portscan: WorkloadDef<'portscan'> = {
  id: 'portscan',
  no: 6,
  title: 'Port scan',
  measures:
    "The seed's port scan (examples/port-scanner-concurrent.ts): connect to 1,024 ports of " +
    '127.0.0.1, every 16th listening (opened by the benchmark). spindle `new ThreadPool(1024)` ' +
    '+ `starmap` and Python `ThreadPool(1024)` + `starmap`, timed from construction to the end ' +
    'of the `await using` / `with` block; `node-serial` awaits one connect after another. The ' +
    'floors, no pool: `node-main` makes all 1,024 connects at once on the main thread, ' +
    '`raw-threads` on 2 bare worker threads started for the scan (512 each, all at once), timed ' +
    'the same way.',
  participants: ['spindle', 'python', 'node-serial', 'node-main', 'raw-threads'],
  reference: 'python',
  metrics: [
    { key: 'totalMs', label: 'total ms', better: 'lower', format: 'ms' },
    { key: 'scanMs', label: 'to results ms', better: 'lower', format: 'ms' },
    { key: 'open', label: 'open', better: 'higher', format: 'count' },
  ],
  rounds: (o) => (o.quick ? 1 : 5),
  timeoutMs: () => 60_000,
  prepare: async () => {
    const block = await openPortBlock(1024, 16);
    const { ports, listening } = block;
    return {
      params: { host: HOST, ports, expectOpen: listening },
      shape: `${HOST}:${ports[0]}-${ports[ports.length - 1]}, ${listening.length} listening`,
      dispose: () => block.close(),
    };
  },
};

/** The W of `ThreadPool(W)`; the requests are max(minRequests, 2 × W). */
export const HTTP_WORKERS = [10, 100, 1000] as const;
const DELAY_MS = 50;

const http: WorkloadDef<'http'> = {
  id: 'http',
  no: 8,
  title: 'HTTP GETs (the guide’s I/O pattern)',
  measures:
    '`ThreadPool(W).map(get, urls)` with W = 10, 100 and 1,000 over max(1,000, 2W) URLs of a ' +
    `local HTTP server that answers each GET after ${DELAY_MS} ms. The server is a process of ` +
    'its own, started by the parent for this workload. spindle `new ThreadPool(W)` + `map` ' +
    "(default chunksize, as Python's) with Node's `http.get` in the task, Python " +
    '`ThreadPool(W)` + `map` with `urllib.request.urlopen`; no keep-alive on either side (a ' +
    'connection per GET). piscina gets W concurrent tasks (`concurrentTasksPerWorker`), as ' +
    'many GETs in flight. Timed from the pool’s construction to the end of its `await using` / ' +
    '`with` block; the floor is ceil(N / W) × 50 ms. What Node needs without a pool, the same ' +
    'GETs with W in flight: `node-main` on the main thread, `raw-threads` on 2 bare worker ' +
    'threads started for the job (W / 2 each).',
  participants: ['spindle', 'python', 'piscina', 'node-main', 'raw-threads'],
  variants: () => {
    const all = HTTP_WORKERS.map((w) => `W=${w}`);
    return { spindle: all, python: all, piscina: all, 'node-main': all, 'raw-threads': all };
  },
  reference: 'python',
  metrics: [
    { key: 'totalMs', label: 'total ms', better: 'lower', format: 'ms' },
    { key: 'floorMs', label: 'floor ms', better: 'lower', format: 'ms' },
    { key: 'requests', label: 'GETs', better: 'higher', format: 'count' },
  ],
  rounds: (o) => (o.quick ? 1 : 3),
  timeoutMs: () => 120_000,
  prepare: async (o) => {
    const minRequests = o.quick ? 200 : 1_000;
    const server = await startSlowServer(DELAY_MS);
    return {
      params: { host: '127.0.0.1', port: server.port, delayMs: DELAY_MS, minRequests },
      shape: `max(${count(minRequests)}, 2W) GETs, ${DELAY_MS} ms each, server in its own process`,
      dispose: () => server.close(),
    };
  },
};

export const PYTHON_GUIDE_WORKLOADS = [portscan, http] as const;
