/** The script each worker thread starts with. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ThreadBootData } from '../protocol/messages.js';
import { inheritTypeScriptLoader } from './loaders.js';
import { ThreadRuntime } from './runtime.js';

if (!parentPort) throw new Error('spindle: the worker entry must run in a worker thread');
const boot = workerData as ThreadBootData;
const runtime = new ThreadRuntime(parentPort, boot);
// No top-level await: the bundle is CommonJS, which a thread boots faster than an ES module.
void inheritTypeScriptLoader().then(() => runtime.start(boot));
