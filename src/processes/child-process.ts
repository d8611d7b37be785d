/**
 * The pool's side of one child process (ProcessPool): forks it, sends it batches of tasks on its
 * IPC channel (structured clone: `serialization: 'advanced'`), decodes its results, and reports
 * its exit, with the signal that killed it if one did.
 *
 * A process shares no memory with the pool, so what a thread tells through shared words a process
 * cannot (which task it has started, whether it is stuck), and a task sent into it can never be
 * taken back. So what the engine gives this carrier waits here, and goes into the child:
 *
 * - into a free task slot, any task;
 * - beyond the slots (the read-ahead), only plain tasks: no `signal`, `timeout` or `onProgress`,
 *   and only as many as the engine's dispatch policy gives this carrier beyond its slots, which
 *   is measured in time (engine/dispatch-policy.ts, READ_AHEAD_MS: about 2 ms of this process's
 *   measured pace, none before it has shown one or when its tasks are slow).
 *
 * Why a read-ahead at all: with one task per slot, every task costs a full round trip on the IPC
 * channel (a message each way, and a sleeping process woken for each), which capped a pool of two
 * processes at ~8k tiny tasks/s here; with tasks held in the child, a message carries a batch of
 * tasks and one carries back a batch of results. What it costs, and why it is bounded so:
 *
 * - A task in the child cannot move to another process that frees up first, nor be cancelled
 *   (`Future.cancel()` answers false, as for a running task): hence only ~2 ms of work. The
 *   window comes from the pace of the tasks before, so slow tasks issued right after a burst of
 *   fast ones are spread over the processes by that window, not by which one frees up first (a
 *   thread would have them taken back; a process keeps them).
 * - `stats()` and `Future.running()` count a task held in a child as running.
 * - Tasks with a signal, a timeout or onProgress never wait in the child: an abort must reach a
 *   task that runs (the child's runtime drops an abort for a task it has not started), and a task
 *   still waiting must be taken out at once, never started after its caller was told it failed.
 * - A child that dies fails every task it held, started or not: it cannot say which it had
 *   started (a process killed by a signal says nothing). Tasks waiting here move to another
 *   process, as before.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { Task } from '../engine/task.js';
import { abortMessage, defineMessage, isBatch, STOP } from '../protocol/control.js';
import { deserializeError, serializeError } from '../protocol/errors.js';
import type { FunctionDef } from '../protocol/functions.js';
import type { FromWorker } from '../protocol/messages.js';
import type { FatalMessage, ProcessBootData } from '../protocol/process-boot.js';
import { decodeResults } from '../protocol/results.js';
import { encodeRunBatch } from '../protocol/run-batch.js';
import { ThreadFunctions } from '../threads/thread-functions.js';
import {
  ThreadHandle,
  type ThreadReports,
  type ThreadSpec,
  ThreadState,
} from '../threads/thread-handle.js';
import { writeOutput } from '../threads/thread-messages.js';
import { processCloneError } from './process-messages.js';
import { openSealedError, openSealedResults } from './sealed-values.js';

/** How long a process stopped gracefully may take to write out and exit before it is killed. */
const GRACEFUL_STOP_MS = 2000;
/** How long after its exit a process's channel may take to deliver what it sent before. */
const CHANNEL_CLOSE_MS = 1000;

export interface ChildProcessOptions extends ThreadSpec {
  /** The child entry (`dist/worker/child.cjs`). */
  entry: string;
  execArgv: string[];
  initializer: FunctionDef | null;
  initargs: readonly unknown[];
  typescriptLoader: string | null;
  timings: boolean;
}

export class ChildProcessHandle extends ThreadHandle {
  override readonly kind = 'process';
  readonly #host: ThreadReports;
  readonly #child: ChildProcess;
  readonly #functions = new ThreadFunctions();
  /** Tasks sent here that wait in the pool, not yet in the child (their seqs follow #lastSent). */
  #waiting: Task[] = [];
  /** The seq of the last task sent into the child: every task up to it has started there. */
  #lastSent = 0;
  #lastError: unknown;
  #busy = true;
  #gone = false;
  readonly #exited: Promise<void>;
  #stopTimer: NodeJS.Timeout | undefined;

  /** Throws if the process cannot be forked, or its boot data (`initargs`) cannot be cloned. */
  constructor(host: ThreadReports, options: ChildProcessOptions) {
    super(options);
    this.#host = host;
    this.#child = fork(options.entry, [], {
      execArgv: options.execArgv,
      serialization: 'advanced',
      // What tasks write travels with the results (worker/output.ts); what the process itself
      // writes outside of them (a crash report) goes straight to the pool's own streams.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const boot: ProcessBootData = {
      name: options.name,
      quota: options.quota,
      initializer: options.initializer,
      initargs: options.initargs,
      typescriptLoader: options.typescriptLoader,
      timings: options.timings,
    };
    try {
      this.#child.send(boot);
    } catch (error) {
      this.#child.kill('SIGKILL');
      throw error;
    }
    if (options.initializer) this.#functions.given(options.initializer.id);
    this.#child.on('message', (message: FromWorker | FatalMessage) => this.#receive(message));
    this.#child.on('error', (error) => {
      // A message sent as it exited: its exit says what happened, not the closed channel.
      if ((error as { code?: unknown }).code === 'ERR_IPC_CHANNEL_CLOSED') return;
      // It could not be forked (too many processes…), or a send failed.
      this.#lastError ??= error;
    });
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.exitSignal = signal;
        const exited = (): void => {
          if (this.#gone) return;
          this.#gone = true;
          if (this.#stopTimer) clearTimeout(this.#stopTimer);
          resolve();
          this.#host.threadExited(this, code ?? 1, this.#lastError);
        };
        // What the process sent before it exited may still be arriving (its last results,
        // written by its exit handler): taken first, so that only the tasks it was running fail.
        if (!this.#child.connected) {
          exited();
          return;
        }
        this.#child.once('disconnect', exited);
        setTimeout(exited, CHANNEL_CLOSE_MS).unref();
      });
    });
  }

  /** The process id (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  #receive(message: FromWorker | FatalMessage): void {
    if (isBatch(message)) {
      openSealedResults(message);
      // What the process wrote is written out here, before any result that follows it.
      decodeResults(message, writeOutput);
      this.#host.threadResults(this, message);
      // Slots freed up in the child: what waits here goes in.
      this.#feed();
      return;
    }
    switch (message.t) {
      case 'fatal':
        this.#lastError = deserializeError(openSealedError(message, 'the error that ended it'));
        break;
      case 'ready':
        this.#host.threadReady(this);
        this.#feed();
        break;
      case 'started': {
        const task = this.outstanding.get(message.seq);
        if (task) this.#host.taskStarted(this, task, message.at);
        break;
      }
      case 'init-failed': {
        const error = openSealedError(message, 'the initializer threw an error');
        this.#host.threadInitFailed(this, deserializeError(error));
        break;
      }
      // 'lost' and 'resent' never come: a value that cannot cross is refused by the sender's own
      // serializer, before it is sent, and the values that come are read here (sealed-values.ts).
    }
  }

  send(tasks: Task[]): void {
    if (tasks.length === 0) return;
    for (const task of tasks) {
      this.track(task, this.nextSeq++);
      this.#waiting.push(task);
    }
    this.#feed();
    this.holdIfOutstanding();
  }

  /**
   * Sends into the child, in seq order, the waiting tasks it has free slots for, then the plain
   * tasks behind them (its read-ahead, see the header), up to the first one that must wait for a
   * slot.
   */
  #feed(): void {
    if (this.#gone || this.state === ThreadState.Starting || this.state === ThreadState.Stopping) {
      return;
    }
    let free = this.quota - this.running();
    if (this.#waiting.length === 0) return;
    const batch: Task[] = [];
    let taken = 0;
    for (; taken < this.#waiting.length; taken++) {
      const task = this.#waiting[taken] as Task;
      // Settled or taken back meanwhile.
      if (task.thread !== this || this.outstanding.get(task.seq) !== task) continue;
      if (free > 0) free--;
      else if (task.control !== undefined) break;
      batch.push(task);
    }
    this.#waiting = taken === this.#waiting.length ? [] : this.#waiting.slice(taken);
    if (batch.length === 0) return;
    this.#lastSent = (batch[batch.length - 1] as Task).seq;
    this.#define(batch);
    // The seqs of a batch follow each other: it is cut where a task was settled in between.
    const failed: [Task, unknown][] = [];
    let from = 0;
    for (let i = 1; i <= batch.length; i++) {
      if (i < batch.length && (batch[i] as Task).seq === (batch[i - 1] as Task).seq + 1) continue;
      this.#sendRun(batch.slice(from, i), failed);
      from = i;
    }
    this.#functions.used(batch, this);
    if (failed.length === 0) return;
    // Reported once this carrier's own bookkeeping is done (the engine may send more at once).
    for (const [task] of failed) {
      this.outstanding.delete(task.seq);
      task.thread = null;
      this.dispatched--;
    }
    for (const [task, error] of failed)
      this.#host.taskFailed(this, task, processCloneError(error, task));
    // Their slots are free, and no result will come from the child to say so.
    this.#feed();
  }

  /** Defines the functions of these tasks the child has not been given, in a message before them. */
  #define(tasks: Task[]): void {
    const definition = this.#functions.definitions(tasks, this.outstanding);
    if (definition) this.#child.send(defineMessage(definition.defs, definition.forget));
  }

  /**
   * Sends tasks of consecutive seqs; if they cannot be cloned, one by one: those that cannot
   * (only they) go to `failed`, with the error.
   */
  #sendRun(tasks: Task[], failed: [Task, unknown][]): void {
    try {
      this.#child.send(encodeRunBatch(tasks, (tasks[0] as Task).seq)[0]);
      return;
    } catch (error) {
      if (tasks.length === 1) {
        failed.push([tasks[0] as Task, error]);
        return;
      }
    }
    for (const task of tasks) {
      try {
        this.#child.send(encodeRunBatch([task], task.seq)[0]);
      } catch (error) {
        failed.push([task, error]);
      }
    }
  }

  abortTask(task: Task, reason: unknown): void {
    if (this.#gone) return;
    try {
      this.#child.send(abortMessage(task.seq, serializeError(reason)));
    } catch {
      // Its channel is closing: the process is exiting, and its tasks fail with its exit.
    }
  }

  unstarted(): number {
    return this.#waiting.length;
  }

  running(): number {
    let count = 0;
    for (const seq of this.outstanding.keys()) {
      if (seq > this.#lastSent) break;
      count++;
    }
    return count;
  }

  /** A process is never stuck on tasks it has not started (see the header): nothing to watch. */
  syncRunning(): number {
    return 0;
  }

  lastTaskLong(): boolean {
    return false;
  }

  hasStarted(task: Task): boolean {
    return task.thread === this && task.seq <= this.#lastSent;
  }

  revokeUnstarted(): Task[] {
    const taken = this.#waiting.filter(
      (task) => task.thread === this && this.outstanding.get(task.seq) === task,
    );
    this.#waiting = [];
    this.untrack(taken);
    return taken;
  }

  override setBusy(busy: boolean): void {
    if (busy === this.#busy) return;
    this.#busy = busy;
    // An idle process (and its channel) never keeps the pool's process alive.
    const channel = this.#child.channel as { ref?(): void; unref?(): void } | null | undefined;
    if (busy) {
      this.#child.ref();
      channel?.ref?.();
    } else {
      this.#child.unref();
      channel?.unref?.();
    }
  }

  /**
   * `graceful`: the process writes out what is left and exits by itself, and is killed only if
   * it has not within GRACEFUL_STOP_MS. Otherwise, or when asked again without `graceful`, it is
   * killed at once (SIGKILL: a task's own signal handlers cannot keep it).
   */
  stop(graceful = false): Promise<void> {
    if (this.state !== ThreadState.Stopping) {
      this.state = ThreadState.Stopping;
      // Someone may be awaiting terminate() or join(): until it has exited, it keeps the pool's
      // process alive.
      this.setBusy(true);
      if (graceful && !this.#gone && this.#child.connected) {
        try {
          this.#child.send(STOP);
          this.#stopTimer = setTimeout(() => this.#kill(), GRACEFUL_STOP_MS);
          this.#stopTimer.unref();
          return this.#exited;
        } catch {}
      }
      this.#kill();
    } else if (!graceful && this.#stopTimer) {
      clearTimeout(this.#stopTimer);
      this.#stopTimer = undefined;
      this.#kill();
    }
    return this.#exited;
  }

  #kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGKILL');
    }
  }
}
