// Workload 12: spindle/redis on this machine. The child starts a redis-server of its own, then
// measures (bench/redis/measure.ts, as `npm run bench:redis` does) the round trip and throughput
// of one client through two `spindle worker` processes of 32 slots, the same jobs through BullMQ
// used directly, and a CPU-bound map on two worker processes against one. The workers run the
// measured build (the snapshot the client imports) from the repository, serving its task module.
import { fileURLToPath } from 'node:url';
import type { Measurement } from '../child/measurement.js';
import {
  cpuMap,
  measureBullmq,
  measureSpindle,
  REDIS_LANES,
  startRedis,
} from '../redis/measure.js';
import type { ChildSpec } from '../shared/protocol.js';

export async function run(spec: ChildSpec<'redis'>): Promise<Measurement> {
  const cli = fileURLToPath(new URL('../node_modules/spindle/dist/lib/cli.js', import.meta.url));
  const where = { root: spec.params.root, cli };
  const server = await startRedis();
  try {
    const spindle = await measureSpindle(where, server.url, 'spindle');
    const bullmq = await measureBullmq(where, server.url, 'bullmq');
    const oneWorkerS = await cpuMap(where, server.url, 'cpu1', 1);
    const twoWorkersS = await cpuMap(where, server.url, 'cpu2', 2);
    const [ours, theirs] = REDIS_LANES;
    return {
      result: {
        metrics: {},
        lanes: {
          [ours]: {
            tasksPerSec: spindle.tasksPerSecond,
            roundTripMs: spindle.latencyMs,
            timeVsBullmq: bullmq.tasksPerSecond / spindle.tasksPerSecond,
            cpuSpeedup: oneWorkerS / twoWorkersS,
          },
          [theirs]: { tasksPerSec: bullmq.tasksPerSecond, roundTripMs: bullmq.latencyMs },
        },
      },
    };
  } finally {
    server.stop();
  }
}
