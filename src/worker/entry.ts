/** The script each worker thread starts with. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ThreadBootData } from '../protocol/messages.js';
import { ThreadRuntime } from './runtime.js';

const boot = workerData as ThreadBootData;
const port = boot?.port;
if (!parentPort || !port) throw new Error('spindle: the worker entry must run in a pool thread');
// Out of reach of task code, which can read `workerData`: the channel is the pool's alone.
boot.port = undefined;
// No top-level await: the bundle is CommonJS, which a thread boots faster than an ES module.
void new ThreadRuntime(port, boot).start(boot);
