// spindle/redis on this machine against BullMQ used directly (bench/workloads/redis.ts); skipped
// with a note where redis-server is not installed.
import {
  REDIS_LANES,
  ROUND_TRIPS,
  redisServerMissing,
  THROUGHPUT_TASKS,
} from '../../redis/measure.js';
import { ROOT_DIR } from '../paths.js';
import type { WorkloadDef } from '../workloads.js';
import { count } from './common.js';

const redis: WorkloadDef<'redis'> = {
  id: 'redis',
  no: 12,
  title: 'Beyond one machine: spindle/redis',
  measures:
    'spindle/redis against BullMQ used directly, on a redis-server the child starts on this ' +
    'machine: one client, two worker processes of 32 slots (`spindle worker --threads 1`, or a ' +
    'BullMQ Worker of concurrency 32 running the same function). Round trip: `pool.apply` one at ' +
    'a time (BullMQ: `add` then `waitUntilFinished`); throughput: `pool.map` with chunksize 1, ' +
    '64 in flight (BullMQ: 64 awaited jobs at a time). `time vs BullMQ` is BullMQ tasks/s over ' +
    "spindle/redis's (goal: at most 1.25×); `CPU speed-up` is a CPU-bound map of 32 prime " +
    'ranges on one worker process over the same on two (one thread each). Same measurements as ' +
    '`npm run bench:redis`.',
  participants: ['spindle'],
  reference: null,
  metrics: [
    { key: 'tasksPerSec', label: 'tasks/s', better: 'higher', format: 'rate' },
    { key: 'roundTripMs', label: 'round trip ms', better: 'lower', format: 'ms' },
    { key: 'timeVsBullmq', label: 'time vs BullMQ', better: 'lower', format: 'ratio' },
    { key: 'cpuSpeedup', label: 'CPU speed-up 2 vs 1', better: 'higher', format: 'ratio' },
  ],
  unavailable: redisServerMissing,
  rounds: (o) => (o.quick ? 1 : 3),
  timeoutMs: () => 300_000,
  prepare: async () => ({
    params: { root: ROOT_DIR },
    shape: `${count(ROUND_TRIPS)} round trips, ${count(THROUGHPUT_TASKS)} tasks for throughput, per round`,
    childLanes: { spindle: REDIS_LANES },
  }),
};

export const REDIS_WORKLOADS = [redis] as const;
