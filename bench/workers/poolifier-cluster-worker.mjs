// Worker for poolifier's cluster pool: a ClusterWorker with one named task function per task.
import { ClusterWorker } from 'poolifier';
import { fib, inc } from './tasks.mjs';

export default new ClusterWorker({ inc, fib });
