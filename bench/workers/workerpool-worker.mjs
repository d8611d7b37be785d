// Worker for workerpool: registers the task functions by name for `pool.exec(name, args)`.
import workerpool from 'workerpool';
import { fib, inc } from './tasks.mjs';

workerpool.worker({ inc, fib });
