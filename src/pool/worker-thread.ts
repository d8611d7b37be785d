/**
 * The main thread's side of one worker thread: starts it, sends batches of tasks, decodes the
 * batches of results, and takes back unstarted tasks through the shared claim words.
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Transferable } from '../options.js';
import { forgetThread, processActivity } from '../protocol/activity.js';
import {
  BACKLOG,
  CLAIMED,
  createControl,
  LAST_TASK_LONG,
  POSTED,
  REVOKE_FLAG,
  REVOKED_UP_TO,
  RUNNING,
} from '../protocol/claims.js';
import { deserializeError, type WireError } from '../protocol/errors.js';
import type { FunctionDef } from '../protocol/functions.js';
import {
  type ChunkFailure,
  type FromWorker,
  Mode,
  Outcome,
  type RunMessage,
  type ThreadBootData,
} from '../protocol/messages.js';
import { packNumbers, unpackNumbers } from '../protocol/packing.js';
import type { PoolThread, Task, ThreadHost } from './task.js';
import { TaskState, ThreadState } from './task.js';

// The worker side, bundled at build time into one CommonJS file: a thread boots faster with one
// module to load, and faster still when it need not start the ES module loader for its entry.
const ENTRY = new URL('../worker/thread.cjs', import.meta.url);

/**
 * Threads inherit the process's Node options (so a TypeScript loader given with `--import`
 * applies in them too), except those that only make sense for the main script: `node -e` and
 * `--input-type` would stop a thread from loading its entry file at all. `undefined` means
 * "inherit as Node does", which is also the only way V8 flags such as `--max-old-space-size`
 * are accepted (listed explicitly, Node refuses them).
 */
let threadExecArgv: string[] | undefined | null = null;

function scriptOnly(arg: string): boolean {
  return (
    arg.startsWith('--eval=') ||
    arg.startsWith('--print=') ||
    arg.startsWith('--input-type=') ||
    arg === '-i' ||
    arg === '--interactive' ||
    arg === '--test' ||
    arg.startsWith('--test-') ||
    arg.startsWith('--watch')
  );
}

/** Whether the process runs under `--import tsx`, which threads then load only when they need it. */
let underTsx = false;

function isTsx(value: string | undefined): boolean {
  return value === 'tsx' || value === 'tsx/esm';
}

function execArgvForThreads(): string[] | undefined {
  if (threadExecArgv !== null) return threadExecArgv;
  const argv = process.execArgv;
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (
      arg === '-e' ||
      arg === '--eval' ||
      arg === '-p' ||
      arg === '--print' ||
      arg === '--input-type'
    ) {
      i++; // The option's value goes too.
    } else if (arg === '--import' && isTsx(argv[i + 1])) {
      underTsx = true;
      i++;
    } else if (arg.startsWith('--import=') && isTsx(arg.slice(9))) {
      underTsx = true;
    } else if (!scriptOnly(arg)) {
      kept.push(arg);
    }
  }
  threadExecArgv = kept.length === argv.length ? undefined : kept;
  return threadExecArgv;
}

/** Drops the flags Node names as invalid for a Worker ("…flags: --a, --b") and remembers that. */
function withoutInvalidFlags(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || !threadExecArgv) return false;
  const named = /flags: (.*)$/.exec((error as Error).message)?.[1]?.split(', ') ?? [];
  const before = threadExecArgv.length;
  threadExecArgv = threadExecArgv.filter((arg) => !named.includes(arg));
  return threadExecArgv.length < before;
}

export interface WorkerThreadOptions {
  name: string;
  slot: number;
  quota: number;
  initializer: FunctionDef | null;
  initargs: readonly unknown[];
  resourceLimits: import('node:worker_threads').ResourceLimits | undefined;
}

export class WorkerThread implements PoolThread {
  readonly name: string;
  readonly slot: number;
  readonly quota: number;
  state: ThreadState = ThreadState.Starting;
  readonly outstanding = new Map<number, Task>();
  dispatched = 0;
  nextSeq = 1;
  readonly #host: ThreadHost;
  readonly #worker: Worker;
  readonly #control: Int32Array;
  readonly #knownFunctions = new Set<number>();
  #revokedUpTo = 0;
  #lastError: unknown;
  #busy = true;
  #exited: Promise<void>;

  /** Throws (e.g. a DataCloneError for uncloneable `initargs`) if the thread cannot be created. */
  constructor(host: ThreadHost, options: WorkerThreadOptions) {
    this.#host = host;
    this.name = options.name;
    this.slot = options.slot;
    this.quota = options.quota;
    const control = createControl();
    this.#control = new Int32Array(control);
    execArgvForThreads(); // Decides `underTsx` too.
    const boot: ThreadBootData = {
      name: options.name,
      quota: options.quota,
      control,
      activity: processActivity(),
      cores: availableParallelism(),
      initializer: options.initializer,
      initargs: options.initargs,
      typescriptLoader: underTsx,
    };
    const start = (): Worker =>
      new Worker(ENTRY, {
        workerData: boot,
        name: options.name,
        execArgv: execArgvForThreads(),
        ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
      });
    try {
      this.#worker = start();
    } catch (error) {
      if (!withoutInvalidFlags(error)) throw error;
      this.#worker = start();
    }
    if (options.initializer) this.#knownFunctions.add(options.initializer.id);
    this.#worker.on('message', (message: FromWorker) => this.#receive(message));
    this.#worker.on('error', (error) => {
      this.#lastError = error;
    });
    this.#exited = new Promise((resolve) => {
      this.#worker.once('exit', (code) => {
        forgetThread(this.#control);
        resolve();
        this.#host.threadExited(this, code, this.#lastError);
      });
    });
  }

  #receive(message: FromWorker): void {
    if (Array.isArray(message)) {
      // (seq, outcome, value) triples: decode the values in place.
      for (let i = 1; i < message.length; i += 3) {
        const outcome = message[i] as Outcome;
        if (outcome === Outcome.OkPacked) {
          message[i + 1] = unpackNumbers(message[i + 1] as Float64Array);
          message[i] = Outcome.Ok;
        } else if (outcome !== Outcome.Ok) {
          message[i + 1] = decodeFailure(outcome, message[i + 1]);
        }
      }
      this.#host.threadResults(this, message);
      return;
    }
    switch (message.t) {
      case 'ready':
        this.#host.threadReady(this);
        break;
      case 'init-failed':
        this.#host.threadInitFailed(this, deserializeError(message.error));
        break;
    }
  }

  send(tasks: Task[], backlog: boolean): void {
    if (tasks.length === 0) return;
    Atomics.store(this.#control, BACKLOG, backlog ? 1 : 0);
    const firstSeq = this.nextSeq;
    const message = this.#batch(tasks, firstSeq);
    try {
      this.#post(message, tasks);
      this.nextSeq += tasks.length;
      for (let i = 0; i < tasks.length; i++) this.#track(tasks[i] as Task, firstSeq + i);
    } catch {
      // Something in the batch cannot be cloned (or transferred): send the tasks one by one so
      // that only the culprits fail.
      for (const task of tasks) {
        const seq = this.nextSeq;
        try {
          this.#post(this.#batch([task], seq), [task]);
        } catch (cloneError) {
          this.#host.taskFailed(task, argumentCloneError(cloneError, task));
          continue;
        }
        this.nextSeq++;
        this.#track(task, seq);
      }
    }
    this.setBusy(true);
  }

  /** The message for these tasks, and the packed number buffers it transfers. */
  #batch(tasks: Task[], firstSeq: number): [RunMessage, ArrayBuffer[] | undefined] {
    let defs: FunctionDef[] | null = null;
    let packedBuffers: ArrayBuffer[] | undefined;
    const n = tasks.length;
    const first = tasks[0] as Task;
    let fns: number[] | number = first.record.id;
    let modes: Mode[] | Mode = first.mode;
    let sizes: number[] | number = sizeOf(first);
    const message: RunMessage = [firstSeq, n, fns, modes, sizes, defs];
    for (let i = 0; i < n; i++) {
      const task = tasks[i] as Task;
      const id = task.record.id;
      if (!this.#knownFunctions.has(id) && !defs?.some((d) => d.id === id)) {
        defs ??= [];
        defs.push(task.record.def);
      }
      // Per-task arrays only once the batch stops being uniform.
      if (typeof fns === 'number' && id !== fns) fns = new Array<number>(i).fill(fns);
      if (typeof fns !== 'number') fns.push(id);
      if (typeof modes === 'number' && task.mode !== modes) modes = new Array<Mode>(i).fill(modes);
      if (typeof modes !== 'number') modes.push(task.mode);
      const size = sizeOf(task);
      if (typeof sizes === 'number' && size !== sizes) sizes = new Array<number>(i).fill(sizes);
      if (typeof sizes !== 'number') sizes.push(size);
      if (size >= 0) for (const arg of task.payload as unknown[]) message.push(arg);
      else {
        const packed = task.mode === Mode.Map ? packNumbers(task.payload as unknown[]) : null;
        if (packed) {
          message.push(packed);
          if (packedBuffers) packedBuffers.push(packed.buffer);
          else packedBuffers = [packed.buffer];
        } else {
          message.push(task.payload);
        }
      }
    }
    message[2] = fns;
    message[3] = modes;
    message[4] = sizes;
    message[5] = defs;
    return [message, packedBuffers];
  }

  #post([message, packed]: [RunMessage, ArrayBuffer[] | undefined], tasks: Task[]): void {
    let transfer: Transferable[] | undefined = packed;
    for (const task of tasks) {
      if (task.transfer && task.transfer.length > 0) {
        transfer ??= [];
        for (const item of task.transfer) transfer.push(item);
      }
    }
    // Node drops a message whose transfer list holds a detached ArrayBuffer without a word (no
    // throw): its tasks would wait for ever. Throw instead, so that only those tasks fail.
    if (transfer?.some(isDetached)) {
      throw new DOMException('An ArrayBuffer listed in `transfer` is detached.', 'DataCloneError');
    }
    this.#worker.postMessage(message, transfer);
    // After the post, so that a thread that sees the count change finds the message there.
    Atomics.add(this.#control, POSTED, 1);
    const defs = message[5];
    if (defs) for (const def of defs) this.#knownFunctions.add(def.id);
  }

  #track(task: Task, seq: number): void {
    task.seq = seq;
    task.thread = this;
    task.state = TaskState.Dispatched;
    this.outstanding.set(seq, task);
    this.dispatched++;
  }

  #claimed(): number {
    return Atomics.load(this.#control, CLAIMED) & ~REVOKE_FLAG;
  }

  unstarted(): number {
    const startedOrTaken = Math.max(this.#claimed(), this.#revokedUpTo);
    return Math.max(0, this.nextSeq - 1 - startedOrTaken);
  }

  isBusy(): boolean {
    const claimed = this.#claimed();
    for (const seq of this.outstanding.keys()) if (seq <= claimed) return true;
    return false;
  }

  syncRunning(): number {
    return Atomics.load(this.#control, RUNNING);
  }

  lastTaskLong(): boolean {
    return Atomics.load(this.#control, LAST_TASK_LONG) !== 0;
  }

  hasStarted(task: Task): boolean {
    return task.thread === this && task.seq <= this.#claimed();
  }

  revokeUnstarted(): Task[] {
    let claimed = Atomics.load(this.#control, CLAIMED);
    const from = Math.max(claimed & ~REVOKE_FLAG, this.#revokedUpTo);
    // Transferred buffers now belong to the thread: such a task cannot be sent again elsewhere,
    // so only the unstarted tasks before the first of them are taken.
    let last = this.nextSeq - 1;
    for (const [seq, task] of this.outstanding) {
      if (seq > from && task.transfer && task.transfer.length > 0) {
        last = seq - 1;
        break;
      }
    }
    if (last <= from) return [];
    if (claimed & REVOKE_FLAG) {
      // The thread has not yet seen the last revocation (it is busy): extend it, unless it has
      // just begun to handle it.
      const seen = Atomics.compareExchange(this.#control, REVOKED_UP_TO, this.#revokedUpTo, last);
      if (seen !== this.#revokedUpTo) return [];
      claimed &= ~REVOKE_FLAG;
    } else {
      for (;;) {
        Atomics.store(this.#control, REVOKED_UP_TO, last);
        const seen = Atomics.compareExchange(
          this.#control,
          CLAIMED,
          claimed,
          claimed | REVOKE_FLAG,
        );
        if (seen === claimed) break;
        claimed = seen; // The thread started another task meanwhile; try again.
        if (last <= claimed) return [];
      }
    }
    this.#revokedUpTo = last;
    const taken: Task[] = [];
    for (const [seq, task] of this.outstanding) {
      if (seq > claimed && seq <= last) taken.push(task);
    }
    for (const task of taken) {
      this.outstanding.delete(task.seq);
      task.thread = null;
      task.state = TaskState.Queued;
    }
    this.dispatched -= taken.length;
    return taken;
  }

  setBusy(busy: boolean): void {
    if (busy === this.#busy) return;
    this.#busy = busy;
    if (busy) this.#worker.ref();
    else this.#worker.unref();
  }

  stop(): Promise<void> {
    if (this.state !== ThreadState.Stopping) {
      this.state = ThreadState.Stopping;
      // Someone may be awaiting terminate() or join(): until the thread has exited, it keeps the
      // process alive, or the process could end with that await still pending.
      this.setBusy(true);
      void this.#worker.terminate();
    }
    return this.#exited;
  }
}

function sizeOf(task: Task): number {
  return task.mode === Mode.Call ? (task.payload as unknown[]).length : -1;
}

function decodeFailure(outcome: Outcome, value: unknown): unknown {
  if (outcome === Outcome.Error) return deserializeError(value as WireError);
  const chunk = value as ChunkFailure;
  return {
    values: chunk.values,
    failures: chunk.failures.map(([index, error]) => [index, deserializeError(error)]),
  } satisfies ChunkFailure<unknown>;
}

function isDetached(item: Transferable): boolean {
  if (!(item instanceof ArrayBuffer) || item.byteLength > 0) return false;
  try {
    new Uint8Array(item);
    return false;
  } catch {
    return true;
  }
}

function argumentCloneError(cloneError: unknown, task: Task): Error {
  const what = task.mode === 0 ? "the task's arguments" : 'an item of the chunk';
  return new DOMException(
    `Cannot send ${what} to a worker thread: ${(cloneError as Error).message} ` +
      'Arguments must be structured-cloneable (no functions, symbols or class instances with private state); ' +
      'ArrayBuffers listed in `transfer` must not be detached or listed twice.',
    'DataCloneError',
  );
}
