// Workloads that put spindle side by side with the other pools and Python on the same small
// tasks: throughput, bulk map, latency, CPU scaling, startup, lazy map.
import { LATENCY_FORMS } from '../../shared/variants.js';
import type { WorkloadDef } from '../workloads.js';
import { count, POOLS_AND_PYTHON, peakRss } from './common.js';

const throughput: WorkloadDef<'throughput'> = {
  id: 'throughput',
  no: 1,
  title: 'Throughput, one by one',
  measures:
    'Trivial tasks (`x => x + 1`) issued all at once through the single-task API ' +
    '(spindle `applyAsync`, piscina/tinypool `run`, poolifier `execute`, workerpool `exec`, ' +
    'Python `apply_async`), then all awaited. Tasks/s and the process peak RSS. Then, untimed, ' +
    'the main thread heap per task in flight (after a full GC, with every task issued and none ' +
    'settled), and the same for bare pending promises with their resolvers: the difference is ' +
    "what the pool's bookkeeping costs per task. `raw-echo` is the floor: one worker thread, " +
    'a promise per item, items and results batched in one `postMessage` per turn, no pool.',
  participants: [...POOLS_AND_PYTHON, 'raw-echo'],
  metrics: [
    { key: 'tasksPerSec', label: 'tasks/s', better: 'higher', format: 'rate' },
    peakRss,
    { key: 'bytesPerTask', label: 'heap B/task', better: 'lower', format: 'bytes' },
    {
      key: 'extraBytesPerTask',
      label: 'B/task beyond a promise',
      better: 'lower',
      format: 'bytes',
    },
  ],
  // tinypool and workerpool take 20–90 s for each 200,000-task run (more under load): a second
  // round only when the first one was quick enough.
  rounds: (o) => (o.quick ? 1 : 2),
  budgetS: () => 200,
  timeoutMs: (o) => (o.quick ? 30_000 : 240_000),
  prepare: async (o) => {
    const params = o.quick
      ? { tasks: 20_000, warmup: 1_000, heapTasks: 5_000 }
      : { tasks: 200_000, warmup: 2_000, heapTasks: 20_000 };
    const heap = `heap per task over ${count(params.heapTasks)}`;
    return {
      params,
      shape: `${count(params.tasks)} tasks, ${count(params.warmup)} warm-up; ${heap}`,
    };
  },
};

const bulk: WorkloadDef<'bulk'> = {
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
};

const latency: WorkloadDef<'latency'> = {
  id: 'latency',
  no: 3,
  title: 'Latency',
  measures:
    'Sequential round trips: issue one trivial task, await it, issue the next, after untimed ' +
    'warm-up trips; p50 and p99 in microseconds. spindle in every single-task form, each in ' +
    'its own process (`await pool.apply()`, `pool.applyAsync().get()`, `await ' +
    'pool.applyAsync()`, `executor.submit().result()`, `await executor.submit()`); the peers ' +
    'through their single-task call, Python `apply`; `raw-echo` is one `postMessage` each way.',
  participants: [...POOLS_AND_PYTHON, 'raw-echo'],
  variants: () => ({ spindle: LATENCY_FORMS }),
  metrics: [
    { key: 'p50Us', label: 'p50 µs', better: 'lower', format: 'us' },
    { key: 'p99Us', label: 'p99 µs', better: 'lower', format: 'us' },
  ],
  rounds: (o) => (o.quick ? 1 : 7),
  timeoutMs: () => 30_000,
  prepare: async (o) => {
    const params = o.quick ? { warmup: 300, trips: 1_000 } : { warmup: 1_000, trips: 5_000 };
    return { params, shape: `${count(params.trips)} trips after ${count(params.warmup)}` };
  },
};

const cpu: WorkloadDef<'cpu'> = {
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
};

const startup: WorkloadDef<'startup'> = {
  id: 'startup',
  no: 5,
  title: 'Startup',
  measures:
    'A fresh process per sample: import the library (reported apart), then `new Pool` to the ' +
    'first result of a trivial task. Also the whole process, spawn to exit, timed by the parent. ' +
    '`raw-echo` is the floor: one `new Worker` to its first echo, no pool.',
  participants: [...POOLS_AND_PYTHON, 'raw-echo'],
  metrics: [
    { key: 'startupMs', label: 'new→result ms', better: 'lower', format: 'ms' },
    { key: 'importMs', label: 'import ms', better: 'lower', format: 'ms' },
    { key: 'processMs', label: 'process ms', better: 'lower', format: 'ms' },
  ],
  rounds: (o) => (o.quick ? 3 : 15),
  timeoutMs: () => 20_000,
  prepare: async () => ({ params: {}, shape: 'one process per sample' }),
};

const imap: WorkloadDef<'imap'> = {
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
      ? { items: 100_000, budgetMs: 2_000, window: 256 }
      : { items: 10_000_000, budgetMs: 10_000, window: 256 };
    return {
      params,
      shape: `${count(params.items)}-item generator, ${params.budgetMs / 1000} s budget per pool`,
    };
  },
};

export const POOL_WORKLOADS = [throughput, bulk, latency, cpu, startup, imap] as const;
