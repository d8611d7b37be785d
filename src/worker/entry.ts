/** The script each worker thread starts with. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ThreadBootData } from '../protocol/messages.js';
import { ThreadRuntime } from './runtime.js';

if (!parentPort) throw new Error('spindle: the worker entry must run in a worker thread');
const boot = workerData as ThreadBootData;
// No top-level await: the bundle is CommonJS, which a thread boots faster than an ES module.
void new ThreadRuntime(parentPort, boot).start(boot);
