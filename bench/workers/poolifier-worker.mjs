// Worker for poolifier: a ThreadWorker with one named task function per task.
import { ThreadWorker } from 'poolifier';
import { fib, inc } from './tasks.mjs';

export default new ThreadWorker({ inc, fib });
