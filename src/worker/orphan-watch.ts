/**
 * A child process never outlives its pool. When the pool's process ends (normally, by an uncaught
 * error, or killed), the child's IPC channel closes and its 'disconnect' handler exits it; but a
 * child stuck in a long synchronous task runs no handler. A tiny thread of its own watches for it:
 * once the child's parent process is no longer the pool's (it was re-parented), it kills the child.
 */
import { Worker } from 'node:worker_threads';

/** How often the watch looks (ms). */
const WATCH_EVERY_MS = 500;

const WATCH = `
const { workerData } = require('node:worker_threads');
const { pid, ppid, every } = workerData;
setInterval(() => {
  if (process.ppid !== ppid) process.kill(pid, 'SIGKILL');
}, every);
`;

export function watchForOrphaning(): void {
  try {
    const watch = new Worker(WATCH, {
      eval: true,
      workerData: { pid: process.pid, ppid: process.ppid, every: WATCH_EVERY_MS },
      // The watch needs nothing of the process's options (a loader would only slow it down).
      execArgv: [],
      stdout: true,
      stderr: true,
    });
    // It never keeps the child alive, and never fails it.
    watch.unref();
    watch.on('error', () => {});
  } catch {
    // No threads here: the 'disconnect' handler alone stands guard.
  }
}
