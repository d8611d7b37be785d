/**
 * The main thread's side of one worker thread: starts it, sends batches of tasks, decodes the
 * batches of results, and takes back unstarted tasks through the shared claim words.
 */

import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { isDetached } from '../engine/capture.js';
import type { Task } from '../engine/task.js';
import type { Transferable } from '../options/types.js';
import { MainClaims } from '../protocol/claims.js';
import {
  abortMessage,
  type ControlToWorker,
  type DefineMessage,
  defineMessage,
  isBatch,
  type LostMessage,
  lostMessage,
  resentMessage,
  STOP,
} from '../protocol/control.js';
import {
  ABORT_REQUESTED,
  createControl,
  DELIVERED,
  MAIN_QUEUED,
  TAKEN,
} from '../protocol/control-words.js';
import { Inbox, Outbox } from '../protocol/delivery.js';
import { deserializeError, serializeError } from '../protocol/errors.js';
import type { FunctionDef } from '../protocol/functions.js';
import { createHeldResults, readHeldResults } from '../protocol/held-results.js';
import type { FromWorker, ThreadBootData } from '../protocol/messages.js';
import { PortReader } from '../protocol/port-reader.js';
import { decodeResults } from '../protocol/results.js';
import { encodeRunBatch, type RunMessage } from '../protocol/run-batch.js';
import { createStartTimes, readStartTime } from '../protocol/start-times.js';
import { execArgvForThreads, tsxForThreads, withoutInvalidFlags } from './exec-argv.js';
import { ThreadFunctions } from './thread-functions.js';
import { ThreadHandle, type ThreadReports, type ThreadSpec, ThreadState } from './thread-handle.js';
import { argumentCloneError, unreadableArguments, writeOutput } from './thread-messages.js';
import { findWorkerEntry } from './worker-entry.js';

/** How long a thread stopped gracefully may take to write out and exit before it is terminated. */
const GRACEFUL_STOP_MS = 2000;

/** What the main thread posted, kept until the thread has taken it, in case it cannot read it. */
type Posted = Task[] | DefineMessage;

export interface WorkerThreadOptions extends ThreadSpec {
  initializer: FunctionDef | null;
  initargs: readonly unknown[];
  resourceLimits: import('node:worker_threads').ResourceLimits | undefined;
  /** The `workerEntry` option, as an absolute path; undefined: found by findWorkerEntry(). */
  workerEntry: string | undefined;
  timings: boolean;
}

export class WorkerThread extends ThreadHandle {
  /** The runtime queues what arrives before its initializer has run (see worker/runtime.ts). */
  override readonly takesTasksWhileStarting = true;
  readonly #host: ThreadReports;
  readonly #worker: Worker;
  readonly #control: Int32Array;
  /** What MAIN_QUEUED holds (written only when it changes). */
  #queuedWord = 0;
  /** Results the thread held when it exited (see protocol/held-results.ts). */
  readonly #heldResults: SharedArrayBuffer;
  /** When the thread started its running timed tasks (see protocol/start-times.ts). */
  readonly #startTimes: SharedArrayBuffer;
  /** The pool's own channel with the thread (never `parentPort`, which task code can post on). */
  readonly #port: MessagePort;
  /** Which task functions the thread has been given, and which it may forget. */
  readonly #functions = new ThreadFunctions();
  /** Who starts the tasks sent: this thread, or the main thread taking them back. */
  readonly #claims: MainClaims<Task>;
  /** Messages posted and maybe not yet taken by the thread. */
  readonly #outbox: Outbox<Posted>;
  /** Messages taken from the thread, counted as the thread counts its posts. */
  readonly #inbox: Inbox;
  /** Messages posted to the thread (the thread counts those it takes: see protocol/delivery.ts). */
  #posted = 0;
  #lastError: unknown;
  #busy = true;
  #gone = false;
  #stopTimer: NodeJS.Timeout | undefined;
  #exited: Promise<void>;
  /** Inside `Worker.terminate()`, which may report the exit before it returns. */
  #terminating = false;

  /** Throws (e.g. a DataCloneError for uncloneable `initargs`) if the thread cannot be created. */
  constructor(host: ThreadReports, options: WorkerThreadOptions) {
    super(options);
    this.#host = host;
    const control = createControl();
    this.#control = new Int32Array(control);
    this.#heldResults = createHeldResults();
    this.#startTimes = createStartTimes(options.quota);
    this.#claims = new MainClaims(this.#control, pinned);
    this.#outbox = new Outbox(this.#control, TAKEN);
    this.#inbox = new Inbox(this.#control, DELIVERED);
    const channel = new MessageChannel();
    this.#port = channel.port1;
    const boot: ThreadBootData = {
      name: options.name,
      port: channel.port2,
      quota: options.quota,
      control,
      initializer: options.initializer,
      initargs: options.initargs,
      typescriptLoader: tsxForThreads(),
      timings: options.timings,
      heldResults: this.#heldResults,
      startTimes: this.#startTimes,
    };
    const start = (): Worker =>
      new Worker(options.workerEntry ?? findWorkerEntry(), {
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
    if (options.initializer) this.#functions.given(options.initializer.id);
    // What a task posts on `parentPort` is not listened to: it is dropped, never decoded.
    this.#port.on('message', (message: FromWorker) => {
      this.#inbox.took();
      this.#receive(message);
    });
    this.#port.on('messageerror', (error: Error) => {
      this.#postControl(lostMessage(this.#inbox.lost(), error.message));
    });
    this.#worker.on('error', (error) => {
      this.#lastError = error;
    });
    this.#exited = new Promise((resolve) => {
      const exited = (code: number): void => {
        this.#gone = true;
        if (this.#stopTimer) clearTimeout(this.#stopTimer);
        this.#drain();
        resolve();
        this.#host.threadExited(this, code, this.#lastError);
      };
      // Node emits 'exit' on a later turn; Deno from within terminate(). The engine must hear of
      // it as it does from Node, not in the middle of its own call (say, a loop over its threads).
      this.#worker.once('exit', (code) => {
        if (this.#terminating) queueMicrotask(() => exited(code));
        else exited(code);
      });
    });
  }

  /**
   * The thread has exited: what it posted before is still queued on the channel (its last
   * results, written by its exit handler). Take it now, before its exit is reported, so that only
   * the task it was running fails.
   */
  #drain(): void {
    const reader = new PortReader(this.#port);
    for (;;) {
      let entry: { message: unknown } | undefined;
      try {
        entry = reader.take();
      } catch {
        // Unreadable, and no thread left to ask again: its tasks fail with the thread's exit.
        continue;
      }
      if (entry === undefined) break;
      this.#receive(entry.message as FromWorker);
    }
    // Then what it held and never posted: it was stopped in the middle of a task that may be
    // aborted, and these tasks had finished before it.
    const held = readHeldResults(this.#heldResults);
    if (held.length > 0) this.#receive(held);
    // A closed port stays an active handle until its close completes, a moment later: it must not
    // hold the process (or count as left behind) meanwhile.
    this.#port.unref();
    this.#port.close();
  }

  #receive(message: FromWorker): void {
    if (isBatch(message)) {
      // What the thread wrote is written out here, before any result that follows it.
      decodeResults(message, writeOutput);
      this.#host.threadResults(this, message);
      return;
    }
    switch (message.t) {
      case 'lost':
        this.#lost(message);
        this.#postControl(resentMessage(message.n));
        break;
      case 'resent':
        this.#inbox.answered(message.n);
        break;
      case 'ready':
        this.#host.threadReady(this);
        break;
      case 'started': {
        const task = this.outstanding.get(message.seq);
        if (task) this.#host.taskStarted(this, task, message.at);
        break;
      }
      case 'init-failed':
        this.#host.threadInitFailed(this, deserializeError(message.error));
        break;
    }
  }

  send(tasks: Task[]): void {
    if (tasks.length === 0) return;
    this.#define(tasks);
    const firstSeq = this.nextSeq;
    const message = encodeRunBatch(tasks, firstSeq);
    try {
      this.#post(message, tasks);
      this.nextSeq += tasks.length;
      for (let i = 0; i < tasks.length; i++) this.track(tasks[i] as Task, firstSeq + i);
    } catch {
      // Something in the batch cannot be cloned (or transferred): send the tasks one by one so
      // that only the culprits fail.
      for (const task of tasks) this.#sendAlone(task);
    }
    this.#functions.used(tasks, this);
    this.holdIfOutstanding();
  }

  /**
   * Defines the functions of these tasks the thread has not been given, in a message of their
   * own: a batch the thread cannot read must never take a definition with it. Makes room first.
   */
  #define(tasks: Task[]): void {
    const definition = this.#functions.definitions(tasks, this.outstanding);
    if (definition) this.#postControl(defineMessage(definition.defs, definition.forget));
  }

  /** Posts a message that carries no task, counted and kept like the others. */
  #postControl(message: ControlToWorker): void {
    if (this.#gone) return;
    this.#port.postMessage(message);
    const n = ++this.#posted;
    if (message.t === 'define') this.#outbox.keep(n, message);
  }

  /**
   * The thread could not deserialize message `n` (say, arguments too deep for its stack). Its
   * tasks go again one by one, so that only the one that cannot cross fails; a lone task that
   * cannot cross fails with an error that says why.
   */
  #lost(lost: LostMessage): void {
    const posted = this.#outbox.take(lost.n);
    if (posted === undefined) return;
    if (!isBatch(posted)) {
      this.#postControl(defineMessage(posted.defs, null));
      return;
    }
    const tasks = posted;
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
        this.#host.taskFailed(this, task, unreadableArguments(lost.reason, task));
        continue;
      }
      this.#sendAlone(task);
    }
    this.holdIfOutstanding();
  }

  /** Sends one task in a message of its own; if it cannot be sent, it fails alone. */
  #sendAlone(task: Task): void {
    const seq = this.nextSeq;
    try {
      this.#post(encodeRunBatch([task], seq), [task]);
    } catch (cloneError) {
      this.#host.taskFailed(this, task, argumentCloneError(cloneError, task));
      return;
    }
    this.nextSeq++;
    this.track(task, seq);
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
    const n = ++this.#posted;
    this.#outbox.keep(n, tasks);
  }

  abortTask(task: Task, reason: unknown): void {
    this.#postControl(abortMessage(task.seq, serializeError(reason)));
    // After the post: a thread that sees the word finds the message on its port.
    Atomics.store(this.#control, ABORT_REQUESTED, task.seq);
  }

  unstarted(): number {
    return this.#claims.unstarted(this.nextSeq - 1);
  }

  running(): number {
    return this.#claims.running(this.outstanding);
  }

  syncRunning(): number {
    return this.#claims.syncRunning();
  }

  lastTaskLong(): boolean {
    return this.#claims.lastTaskLong();
  }

  override poolQueued(queued: boolean): void {
    const word = queued ? 1 : 0;
    if (this.#queuedWord !== word) {
      this.#queuedWord = word;
      Atomics.store(this.#control, MAIN_QUEUED, word);
    }
  }

  hasStarted(task: Task): boolean {
    return task.thread === this && this.#claims.hasStarted(task.seq);
  }

  override startTime(task: Task): number {
    return this.hasStarted(task) ? readStartTime(this.#startTimes, task.seq) : 0;
  }

  revokeUnstarted(): Task[] {
    const taken = this.#claims.revoke(this.outstanding, this.nextSeq - 1);
    this.untrack(taken);
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
        this.#postControl(STOP);
        this.#stopTimer = setTimeout(() => this.#terminate(), GRACEFUL_STOP_MS);
        this.#stopTimer.unref();
        return this.#exited;
      }
      this.#terminate();
    } else if (!graceful && this.#stopTimer) {
      clearTimeout(this.#stopTimer);
      this.#stopTimer = undefined;
      this.#terminate();
    }
    return this.#exited;
  }

  #terminate(): void {
    this.#terminating = true;
    try {
      void this.#worker.terminate();
    } finally {
      this.#terminating = false;
    }
  }
}

/** A task whose buffers were transferred with it: taking it back would lose them. */
function pinned(task: Task): boolean {
  return task.transfer !== undefined && task.transfer.length > 0;
}
