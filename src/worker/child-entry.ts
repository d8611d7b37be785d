/**
 * The script each child process of a process pool starts with: the same task loop as a worker
 * thread (runtime.ts), over the process's IPC channel instead of a MessagePort. The control words
 * a thread shares with the pool are this process's own here (nothing else reads them): what the
 * pool must know of a process it learns from its messages (see processes/child-process.ts).
 */

import { createControl } from '../protocol/control-words.js';
import { serializeError } from '../protocol/errors.js';
import type { ProcessBootData } from '../protocol/process-boot.js';
import { IpcPort, seal } from './ipc-port.js';
import { watchForOrphaning } from './orphan-watch.js';
import { ThreadRuntime } from './runtime.js';

// Captured before any task code runs.
const send = process.send?.bind(process) as ((message: unknown) => boolean) | undefined;
const exit = process.exit.bind(process);
if (!send) throw new Error('spindle: the child entry must run in a pool process');

// The channel is the pool's alone: what a task sends on it would be taken for the pool's own
// messages (as a task's `parentPort` messages never are in a thread).
process.send = () => {
  throw new Error(
    "process.send() is not available to tasks of a spindle ProcessPool: the child's IPC channel is the pool's own",
  );
};

// The pool is gone (it exited, crashed or was killed): a child never outlives it.
process.on('disconnect', () => exit(0));

// An error that escaped a task ends the process, as it ends a thread; the pool hears why first.
process.on('uncaughtException', (error) => {
  try {
    if (process.connected) send(seal({ t: 'fatal', error: serializeError(error) }));
  } catch {}
  exit(1);
});

process.once('message', (message) => {
  const boot = message as ProcessBootData;
  const port = new IpcPort(send);
  process.on('message', (next) => port.emit('message', next));
  const data = {
    ...boot,
    port: undefined,
    control: createControl(),
  };
  void new ThreadRuntime(port, data).start(data);
  // After the start, which it must not slow down: it matters only once the pool's process is gone.
  setImmediate(watchForOrphaning);
});
