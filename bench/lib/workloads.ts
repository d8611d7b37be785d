// The seven workloads of issue 5 as the parent sees them: who takes part, how many rounds,
// what sizes (full or --quick), what the child reports and which way is better.
import {
  NODE_POOLS,
  type Participant,
  type WorkloadId,
  type WorkloadParams,
} from '../shared/protocol.js';
import type { Options } from './args.js';
import { HOST, openPortBlock } from './listeners.js';

export type Better = 'higher' | 'lower';

export interface MetricDef {
  key: string;
  label: string;
  better: Better;
  format: 'rate' | 'ms' | 'us' | 'mb' | 'ratio' | 'count';
}

export interface Prepared<W extends WorkloadId> {
  params: WorkloadParams[W];
  /** One line for the report on what this run's parameters were. */
  shape: string;
  dispose?: () => Promise<void>;
}

export interface WorkloadDef<W extends WorkloadId> {
  id: W;
  no: number;
  title: string;
  /** What it measures, for docs/benchmarks.md. */
  measures: string;
  participants: readonly Participant[];
  /** The first metric is the workload's headline (used for "vs best peer"). */
  metrics: readonly MetricDef[];
  rounds: (o: Options) => number;
  /** No new round starts when it would likely end past this many seconds (at least 1 round). */
  budgetS?: (o: Options) => number;
  timeoutMs: (o: Options) => number;
  prepare: (o: Options) => Promise<Prepared<W>>;
}

export type AnyWorkloadDef = { [W in WorkloadId]: WorkloadDef<W> }[WorkloadId];

const POOLS_AND_PYTHON = [...NODE_POOLS, 'python'] as const;
const count = (n: number) => n.toLocaleString('en-US');
const peakRss: MetricDef = {
  key: 'peakRssMb',
  label: 'peak RSS MB',
  better: 'lower',
  format: 'mb',
};

export const WORKLOADS: readonly AnyWorkloadDef[] = [
  {
    id: 'throughput',
    no: 1,
    title: 'Throughput, one by one',
    measures:
      'Trivial tasks (`x => x + 1`) issued all at once through the single-task API ' +
      '(spindle `applyAsync`, piscina/tinypool `run`, poolifier `execute`, workerpool `exec`, ' +
      'Python `apply_async`), then all awaited. Tasks/s and the process peak RSS.',
    participants: POOLS_AND_PYTHON,
    metrics: [{ key: 'tasksPerSec', label: 'tasks/s', better: 'higher', format: 'rate' }, peakRss],
    // tinypool and workerpool take 20–90 s for each 200,000-task run (more under load): a second
    // round only when the first one was quick enough.
    rounds: (o) => (o.quick ? 1 : 2),
    budgetS: () => 200,
    timeoutMs: (o) => (o.quick ? 30_000 : 240_000),
    prepare: async (o) => {
      const params = o.quick ? { tasks: 20_000, warmup: 1_000 } : { tasks: 200_000, warmup: 2_000 };
      return { params, shape: `${count(params.tasks)} tasks, ${count(params.warmup)} warm-up` };
    },
  },
  {
    id: 'bulk',
    no: 2,
    title: 'Throughput, bulk',
    measures:
      'One `map` of `x => x + 1` over an array with the default chunksize (spindle and Python ' +
      '`map`, poolifier `mapExecute`; piscina, tinypool and workerpool have no bulk API and get ' +
      '`Promise.all` over their single-task API). Items/s: the median of repeated maps in one ' +
      'process when a map takes less than a second.',
    participants: POOLS_AND_PYTHON,
    metrics: [{ key: 'itemsPerSec', label: 'items/s', better: 'higher', format: 'rate' }, peakRss],
    // tinypool and workerpool take 20–90 s for each 200,000-task run (more under load): a second
    // round only when the first one was quick enough.
    rounds: (o) => (o.quick ? 1 : 2),
    budgetS: () => 200,
    timeoutMs: (o) => (o.quick ? 30_000 : 240_000),
    prepare: async (o) => {
      const params = o.quick
        ? { items: 20_000, warmup: 1_000, repeatMs: 300 }
        : { items: 200_000, warmup: 2_000, repeatMs: 1_000 };
      const repeats = `repeated within ${params.repeatMs / 1000} s when faster`;
      return {
        params,
        shape: `${count(params.items)} items, ${count(params.warmup)} warm-up, ${repeats}`,
      };
    },
  },
  {
    id: 'latency',
    no: 3,
    title: 'Latency',
    measures:
      'Sequential round trips: issue one trivial task, await it, issue the next (spindle ' +
      '`apply`, Python `apply`), after untimed warm-up trips. p50 and p99 in microseconds.',
    participants: POOLS_AND_PYTHON,
    metrics: [
      { key: 'p50Us', label: 'p50 µs', better: 'lower', format: 'us' },
      { key: 'p99Us', label: 'p99 µs', better: 'lower', format: 'us' },
    ],
    rounds: (o) => (o.quick ? 1 : 7),
    timeoutMs: () => 30_000,
    prepare: async (o) => {
      const params = o.quick ? { warmup: 200, trips: 500 } : { warmup: 1_000, trips: 2_000 };
      return { params, shape: `${count(params.trips)} trips after ${count(params.warmup)}` };
    },
  },
  {
    id: 'cpu',
    no: 4,
    title: 'CPU scaling',
    measures:
      '`fib(n)` tasks through the bulk API (as in workload 2); speed-up over the same work done ' +
      'serially on the main thread of the same process. Node.js children run both once untimed ' +
      '(JIT, thread start), then alternate timed serial and pool passes and divide the best ' +
      'times; Python starts its threads, then times one pass of each.',
    participants: POOLS_AND_PYTHON,
    metrics: [
      { key: 'speedup', label: 'speed-up', better: 'higher', format: 'ratio' },
      { key: 'poolMs', label: 'pool ms', better: 'lower', format: 'ms' },
      { key: 'serialMs', label: 'serial ms', better: 'lower', format: 'ms' },
      { key: 'medianSpeedup', label: 'speed-up of medians', better: 'higher', format: 'ratio' },
    ],
    rounds: (o) => (o.quick ? 1 : 3),
    timeoutMs: () => 60_000,
    prepare: async (o) => {
      const params = { tasks: o.quick ? 16 : 64, n: 27, repeats: o.quick ? 3 : 5 };
      return {
        params,
        shape: `${params.tasks} × fib(${params.n}), best of ${params.repeats} alternating passes`,
      };
    },
  },
  {
    id: 'startup',
    no: 5,
    title: 'Startup',
    measures:
      'A fresh process per sample: import the library (reported apart), then `new Pool` to the ' +
      'first result of a trivial task. Also the whole process, spawn to exit, timed by the parent.',
    participants: POOLS_AND_PYTHON,
    metrics: [
      { key: 'startupMs', label: 'new→result ms', better: 'lower', format: 'ms' },
      { key: 'importMs', label: 'import ms', better: 'lower', format: 'ms' },
      { key: 'processMs', label: 'process ms', better: 'lower', format: 'ms' },
    ],
    rounds: (o) => (o.quick ? 3 : 15),
    timeoutMs: () => 20_000,
    prepare: async () => ({ params: {}, shape: 'one process per sample' }),
  },
  {
    id: 'portscan',
    no: 6,
    title: 'Port scan',
    measures:
      "The seed's port scan (examples/port-scanner-concurrent.ts): connect to 1,024 ports of " +
      '127.0.0.1, every 16th listening (opened by the benchmark). spindle `new ThreadPool(1024)` ' +
      '+ `starmap` and Python `ThreadPool(1024)` + `starmap`, timed from construction to the end ' +
      'of the `await using` / `with` block; `node-serial` awaits one connect after another.',
    participants: ['spindle', 'python', 'node-serial'],
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
  },
  {
    id: 'imap',
    no: 7,
    title: 'Lazy map (imap)',
    measures:
      'An ordered lazy map of `x => x + 1` over a generator (spindle and Python `imap`, default ' +
      'chunksize 1; the peers have no lazy map and get a loop keeping 256 single tasks in flight). ' +
      'Items/s, and RSS growth over the run (sampled), which must stay flat. A pool stops at the ' +
      'time budget (items/s is over what it did); Python also stops at 2 GB of growth.',
    participants: POOLS_AND_PYTHON,
    metrics: [
      { key: 'itemsPerSec', label: 'items/s', better: 'higher', format: 'rate' },
      { key: 'rssGrowthMb', label: 'RSS growth MB', better: 'lower', format: 'mb' },
      { key: 'items', label: 'items done', better: 'higher', format: 'count' },
    ],
    rounds: () => 1,
    timeoutMs: (o) => (o.quick ? 30_000 : 90_000),
    prepare: async (o) => {
      const params = o.quick
        ? { items: 100_000, budgetMs: 4_000, window: 256 }
        : { items: 10_000_000, budgetMs: 10_000, window: 256 };
      return {
        params,
        shape: `${count(params.items)}-item generator, ${params.budgetMs / 1000} s budget per pool`,
      };
    },
  },
];
