// Process pools: spindle's ProcessPool against the peers' process modes (workerpool
// `workerType: 'process'`, poolifier `FixedClusterPool`), `--threads` processes each.
import { PROCESS_POOLS } from '../../shared/protocol.js';
import type { WorkloadDef } from '../workloads.js';
import { count } from './common.js';

const processes: WorkloadDef<'processes'> = {
  id: 'processes',
  no: 11,
  title: 'Process pools',
  measures:
    'spindle `ProcessPool` against workerpool in process mode and poolifier `FixedClusterPool`, ' +
    'in one child process per pool and round: `new` pool → first result, then (after a ' +
    'warm-up) trivial tasks issued all at once through the single-task API and all awaited ' +
    '(tasks/s), sequential round trips (p50, p99), and a map of `fib` on the pool against the ' +
    'same map on a pool of one process (speed-up: best times of alternating passes).',
  participants: PROCESS_POOLS,
  metrics: [
    { key: 'tasksPerSec', label: 'tasks/s', better: 'higher', format: 'rate' },
    { key: 'p50Us', label: 'p50 µs', better: 'lower', format: 'us' },
    { key: 'p99Us', label: 'p99 µs', better: 'lower', format: 'us' },
    { key: 'startupMs', label: 'new→result ms', better: 'lower', format: 'ms' },
    { key: 'speedup', label: 'speed-up vs 1 process', better: 'higher', format: 'ratio' },
    { key: 'poolMs', label: 'fib map ms', better: 'lower', format: 'ms' },
  ],
  rounds: (o) => (o.quick ? 1 : 5),
  budgetS: () => 150,
  timeoutMs: (o) => (o.quick ? 30_000 : 90_000),
  prepare: async (o) => {
    const params = o.quick
      ? { tasks: 5_000, warmup: 500, trips: 500, fibTasks: 16, fibN: 27, fibRepeats: 2 }
      : { tasks: 50_000, warmup: 2_000, trips: 3_000, fibTasks: 64, fibN: 27, fibRepeats: 5 };
    return {
      params,
      shape:
        `${count(params.tasks)} tasks after ${count(params.warmup)}, ` +
        `${count(params.trips)} round trips, ${params.fibTasks} × fib(${params.fibN}) ` +
        `(best of ${params.fibRepeats})`,
    };
  },
};

export const PROCESS_WORKLOADS = [processes] as const;
