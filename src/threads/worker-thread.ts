/**
 * The main thread's side of one worker thread: starts it, sends batches of tasks, decodes the
 * batches of results, and takes back unstarted tasks through the shared claim words.
 */

import { availableParallelism } from 'node:os';
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from 'node:worker_threads';
import { isDetached } from '../engine/capture.js';
import type { Task } from '../engine/task.js';
import { TaskState } from '../engine/task.js';
import type { Transferable } from '../options.js';
import { forgetThread, processActivity } from '../protocol/activity.js';
import {
  BACKLOG,
  CLAIMED,
  createControl,
  DELIVERED,
  LAST_TASK_LONG,
  POSTED,
  REVOKE_FLAG,
  REVOKED_UP_TO,
  RUNNING,
  TAKEN,
  takenWord,
} from '../protocol/claims.js';
import { deserializeError, type WireError } from '../protocol/errors.js';
import type { FunctionDef } from '../protocol/functions.js';
import {
  type ChunkFailure,
  type DefineMessage,
  type FromWorker,
  type LostMessage,
  Mode,
  Outcome,
  type RunMessage,
  type ThreadBootData,
  type ToWorker,
} from '../protocol/messages.js';
import { packNumbers, unpackNumbers } from '../protocol/packing.js';
import { ThreadHandle, type ThreadReports, type ThreadSpec, ThreadState } from './thread-handle.js';

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

/**
 * How many task functions a thread keeps defined. Beyond that, the least recently used that no
 * task of the thread still needs are forgotten, on both sides (a program that issues a stream of
 * distinct inline functions must not fill the thread's heap); one used again is sent again.
 */
const THREAD_FUNCTIONS = 1024;

/** How long a thread stopped gracefully may take to write out and exit before it is terminated. */
const GRACEFUL_STOP_MS = 2000;

/** What the main thread posted, kept until the thread has taken it, in case it cannot read it. */
interface Posted {
  n: number;
  tasks: Task[] | null;
  define: DefineMessage | null;
}

export interface WorkerThreadOptions extends ThreadSpec {
  initializer: FunctionDef | null;
  initargs: readonly unknown[];
  resourceLimits: import('node:worker_threads').ResourceLimits | undefined;
}

export class WorkerThread extends ThreadHandle {
  readonly #host: ThreadReports;
  readonly #worker: Worker;
  readonly #control: Int32Array;
  /** The pool's own channel with the thread (never `parentPort`, which task code can post on). */
  readonly #port: MessagePort;
  /** Functions the thread has been given: id → the last seq of a task of this thread using it. */
  readonly #knownFunctions = new Map<number, number>();
  /** Messages posted and maybe not yet taken by the thread, oldest first. */
  #posted: Posted[] = [];
  /** Messages taken from the thread, counted as the thread counts its posts. */
  #delivered = 0;
  /** Messages of the thread this side could not read, not yet answered for. */
  #unanswered: number[] = [];
  #revokedUpTo = 0;
  #lastError: unknown;
  #busy = true;
  #gone = false;
  #stopTimer: NodeJS.Timeout | undefined;
  #exited: Promise<void>;

  /** Throws (e.g. a DataCloneError for uncloneable `initargs`) if the thread cannot be created. */
  constructor(host: ThreadReports, options: WorkerThreadOptions) {
    super(options);
    this.#host = host;
    const control = createControl();
    this.#control = new Int32Array(control);
    execArgvForThreads(); // Decides `underTsx` too.
    const channel = new MessageChannel();
    this.#port = channel.port1;
    const boot: ThreadBootData = {
      name: options.name,
      port: channel.port2,
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
        transferList: [channel.port2],
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
    if (options.initializer) this.#knownFunctions.set(options.initializer.id, 0);
    // What a task posts on `parentPort` is not listened to: it is dropped, never decoded.
    this.#port.on('message', (message: FromWorker) => {
      this.#delivered = (this.#delivered + 1) | 0;
      this.#taken();
      this.#receive(message);
    });
    this.#port.on('messageerror', (error: Error) => {
      this.#delivered = (this.#delivered + 1) | 0;
      this.#unanswered.push(this.#delivered);
      this.#taken();
      this.#postControl({ t: 'lost', n: this.#delivered, reason: error.message });
    });
    this.#worker.on('error', (error) => {
      this.#lastError = error;
    });
    this.#exited = new Promise((resolve) => {
      this.#worker.once('exit', (code) => {
        this.#gone = true;
        if (this.#stopTimer) clearTimeout(this.#stopTimer);
        forgetThread(this.#control);
        this.#drain();
        resolve();
        this.#host.threadExited(this, code, this.#lastError);
      });
    });
  }

  /** One more message of the thread taken (read, or failed to deserialize). */
  #taken(): void {
    Atomics.store(this.#control, DELIVERED, takenWord(this.#delivered, this.#unanswered));
  }

  /**
   * The thread has exited: what it posted before is still queued on the channel (its last
   * results, written by its exit handler). Take it now, before its exit is reported, so that only
   * the task it was running fails.
   */
  #drain(): void {
    for (;;) {
      let entry: { message: unknown } | undefined;
      try {
        entry = receiveMessageOnPort(this.#port);
      } catch {
        // Unreadable, and no thread left to ask again: its tasks fail with the thread's exit.
        continue;
      }
      if (entry === undefined) break;
      this.#receive(entry.message as FromWorker);
    }
    // A closed port stays an active handle until its close completes, a moment later: it must not
    // hold the process (or count as left behind) meanwhile.
    this.#port.unref();
    this.#port.close();
  }

  #receive(message: FromWorker): void {
    if (Array.isArray(message)) {
      // (seq, outcome, value) triples: decode the values in place. What the thread wrote is
      // written out here, before any result that follows it is delivered.
      for (let i = 1; i < message.length; i += 3) {
        const outcome = message[i] as Outcome;
        if (outcome === Outcome.OkPacked) {
          message[i + 1] = unpackNumbers(message[i + 1] as Float64Array);
          message[i] = Outcome.Ok;
        } else if (outcome === Outcome.Stdout || outcome === Outcome.Stderr) {
          writeOutput(outcome, message[i + 1]);
        } else if (outcome !== Outcome.Ok) {
          message[i + 1] = decodeFailure(outcome, message[i + 1]);
        }
      }
      this.#host.threadResults(this, message);
      return;
    }
    switch (message.t) {
      case 'lost':
        this.#lost(message);
        this.#postControl({ t: 'resent', n: message.n });
        break;
      case 'resent': {
        const index = this.#unanswered.indexOf(message.n);
        if (index >= 0) this.#unanswered.splice(index, 1);
        this.#taken();
        break;
      }
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
    this.#define(tasks);
    const firstSeq = this.nextSeq;
    const message = this.#batch(tasks, firstSeq);
    try {
      this.#post(message, tasks);
      this.nextSeq += tasks.length;
      for (let i = 0; i < tasks.length; i++) this.track(tasks[i] as Task, firstSeq + i);
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
        this.track(task, seq);
      }
    }
    this.#used(tasks);
    this.setBusy(true);
  }

  /**
   * Defines the functions of these tasks the thread has not been given, in a message of their
   * own: a batch the thread cannot read must never take a definition with it. Makes room first.
   */
  #define(tasks: Task[]): void {
    let defs: FunctionDef[] | null = null;
    let previous = -1;
    for (const task of tasks) {
      const id = task.record.id;
      if (id === previous) continue;
      previous = id;
      if (this.#knownFunctions.has(id) || defs?.some((d) => d.id === id)) continue;
      defs ??= [];
      defs.push(task.record.def);
    }
    if (!defs) return;
    const forget = this.#evict(defs.length, tasks);
    this.#postControl({ t: 'define', defs, forget });
    for (const def of defs) this.#knownFunctions.set(def.id, 0);
  }

  /**
   * Forgets the least recently used functions beyond THREAD_FUNCTIONS that no outstanding task of
   * this thread (nor one about to be sent) uses: every task that used them has settled.
   */
  #evict(adding: number, sending: Task[]): number[] | null {
    let excess = this.#knownFunctions.size + adding - THREAD_FUNCTIONS;
    if (excess <= 0) return null;
    const oldest = this.outstanding.keys().next();
    const inUseFrom = oldest.done ? Number.POSITIVE_INFINITY : oldest.value;
    let forget: number[] | null = null;
    for (const [id, lastSeq] of this.#knownFunctions) {
      if (excess <= 0) break;
      if (lastSeq >= inUseFrom || sending.some((t) => t.record.id === id)) continue;
      forget ??= [];
      forget.push(id);
      excess--;
    }
    if (forget) for (const id of forget) this.#knownFunctions.delete(id);
    return forget;
  }

  /** Marks the functions of these (now sent) tasks as the most recently used. */
  #used(tasks: Task[]): void {
    let previous = -1;
    let last = 0;
    for (const task of tasks) {
      const id = task.record.id;
      if (id !== previous) {
        if (previous >= 0) this.#use(previous, last);
        previous = id;
        last = 0;
      }
      if (task.thread === this && task.seq > last) last = task.seq;
    }
    if (previous >= 0) this.#use(previous, last);
  }

  #use(id: number, seq: number): void {
    const before = this.#knownFunctions.get(id);
    if (before === undefined) return;
    this.#knownFunctions.delete(id);
    this.#knownFunctions.set(id, Math.max(before, seq));
  }

  /** Posts a message that carries no task, counted and kept like the others. */
  #postControl(message: Exclude<ToWorker, RunMessage>): void {
    if (this.#gone) return;
    this.#port.postMessage(message);
    const n = Atomics.add(this.#control, POSTED, 1) + 1;
    if (message.t === 'define') this.#keep({ n, tasks: null, define: message });
  }

  #keep(posted: Posted): void {
    const taken = Atomics.load(this.#control, TAKEN);
    let drop = 0;
    while (drop < this.#posted.length && (((this.#posted[drop] as Posted).n - taken) | 0) <= 0) {
      drop++;
    }
    if (drop > 0) this.#posted.splice(0, drop);
    this.#posted.push(posted);
  }

  /**
   * The thread could not deserialize message `n` (say, arguments too deep for its stack). Its
   * tasks go again one by one, so that only the one that cannot cross fails; a lone task that
   * cannot cross fails with an error that says why.
   */
  #lost(lost: LostMessage): void {
    const index = this.#posted.findIndex((posted) => posted.n === lost.n);
    if (index < 0) return;
    const posted = this.#posted[index] as Posted;
    this.#posted.splice(index, 1);
    if (posted.define) {
      this.#postControl({ t: 'define', defs: posted.define.defs, forget: null });
      return;
    }
    const tasks = posted.tasks ?? [];
    const ours = tasks.filter(
      (task) => task.thread === this && this.outstanding.get(task.seq) === task,
    );
    for (const task of ours) {
      this.outstanding.delete(task.seq);
      task.thread = null;
      this.dispatched--;
    }
    for (const task of ours) {
      if (tasks.length === 1) {
        this.#host.taskFailed(task, unreadableArguments(lost.reason, task));
        continue;
      }
      const seq = this.nextSeq;
      try {
        this.#post(this.#batch([task], seq), [task]);
      } catch (cloneError) {
        this.#host.taskFailed(task, argumentCloneError(cloneError, task));
        continue;
      }
      this.nextSeq++;
      this.track(task, seq);
    }
  }

  /** The message for these tasks, and the packed number buffers it transfers. */
  #batch(tasks: Task[], firstSeq: number): [RunMessage, ArrayBuffer[] | undefined] {
    let packedBuffers: ArrayBuffer[] | undefined;
    const n = tasks.length;
    const first = tasks[0] as Task;
    let fns: number[] | number = first.record.id;
    let modes: Mode[] | Mode = first.mode;
    let sizes: number[] | number = sizeOf(first);
    const message: RunMessage = [firstSeq, n, fns, modes, sizes];
    for (let i = 0; i < n; i++) {
      const task = tasks[i] as Task;
      const id = task.record.id;
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
    this.#port.postMessage(message, transfer);
    // After the post, so that a thread that sees the count change finds the message there.
    const n = Atomics.add(this.#control, POSTED, 1) + 1;
    this.#keep({ n, tasks, define: null });
  }

  #claimed(): number {
    return Atomics.load(this.#control, CLAIMED) & ~REVOKE_FLAG;
  }

  unstarted(): number {
    const startedOrTaken = Math.max(this.#claimed(), this.#revokedUpTo);
    return Math.max(0, this.nextSeq - 1 - startedOrTaken);
  }

  running(): number {
    // Outstanding tasks are in seq order, and the started ones come first.
    const claimed = this.#claimed();
    let count = 0;
    for (const seq of this.outstanding.keys()) {
      if (seq > claimed) break;
      count++;
    }
    return count;
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

  override setBusy(busy: boolean): void {
    if (busy === this.#busy) return;
    this.#busy = busy;
    if (busy) {
      this.#worker.ref();
      if (!this.#gone) this.#port.ref();
    } else {
      this.#worker.unref();
      this.#port.unref();
    }
  }

  /**
   * `graceful` (the pool was closed, or the thread idled out): the thread writes out what is
   * left and exits by itself, and is terminated only if it has not within GRACEFUL_STOP_MS.
   * Otherwise, or when asked again without `graceful`, it is terminated at once.
   */
  stop(graceful = false): Promise<void> {
    if (this.state !== ThreadState.Stopping) {
      this.state = ThreadState.Stopping;
      // Someone may be awaiting terminate() or join(): until the thread has exited, it keeps the
      // process alive, or the process could end with that await still pending.
      this.setBusy(true);
      if (graceful && !this.#gone) {
        this.#postControl({ t: 'stop' });
        this.#stopTimer = setTimeout(() => void this.#worker.terminate(), GRACEFUL_STOP_MS);
        this.#stopTimer.unref();
        return this.#exited;
      }
      void this.#worker.terminate();
    } else if (!graceful && this.#stopTimer) {
      clearTimeout(this.#stopTimer);
      this.#stopTimer = undefined;
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

/** What a task wrote in its thread, written out on the main thread's own stream. */
function writeOutput(kind: Outcome, data: unknown): void {
  try {
    (kind === Outcome.Stdout ? process.stdout : process.stderr).write(data as string | Uint8Array);
  } catch {
    // A closed stream (EPIPE…): the output is lost, the results are not.
  }
}

function unreadableArguments(reason: string, task: Task): Error {
  const what = task.mode === 0 ? "The task's arguments" : 'An item of the chunk';
  return new DOMException(
    `${what} could be sent but not read by the worker thread (${reason}): ` +
      "they are too deep or too large for the thread's stack (see resourceLimits.stackSizeMb). " +
      'Pass flatter data.',
    'DataCloneError',
  );
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
