/**
 * The seam between the engine and whatever carries tasks: a worker thread, the main thread
 * (`threads: 0`), and later a child process or a remote queue. Each kind of carrier is a subclass
 * of ThreadHandle (the main thread's side of it), made by its HostKind (host.ts); the engine knows
 * only this class and what it reports through ThreadReports.
 *
 * The base keeps what every carrier has in common: its name, its share of the pool's task slots,
 * its state, the tasks sent to it and not settled (by seq), and its own timers (how long it may
 * take to start, how long it may idle). Subclasses say how tasks travel and how to take back
 * those not started.
 */
import { SeqTable } from '../engine/seq-table.js';
import type { Task } from '../engine/task.js';
import { TaskState } from '../engine/task.js';
import type { ThreadExitReason } from './exit-reason.js';

export const ThreadState = {
  Starting: 0,
  Ready: 1,
  /** Takes no more tasks; stops once its outstanding tasks are done. */
  Retiring: 2,
  Stopping: 3,
} as const;
export type ThreadState = (typeof ThreadState)[keyof typeof ThreadState];

/** What a carrier tells the engine. */
export interface ThreadReports {
  threadReady(thread: ThreadHandle): void;
  /** `results`: (seq, outcome, decoded value) triples. */
  threadResults(thread: ThreadHandle, results: unknown[]): void;
  threadInitFailed(thread: ThreadHandle, error: unknown): void;
  threadExited(thread: ThreadHandle, exitCode: number, error: unknown): void;
  /**
   * A task could not be sent (its arguments cannot be cloned): it fails alone. The carrier has
   * already forgotten it (it is not among its outstanding tasks).
   */
  taskFailed(thread: ThreadHandle, task: Task, error: unknown): void;
  /**
   * A task with a time limit started at `at` (`Date.now()`): from a carrier that cannot tell it
   * when asked (see ThreadHandle.startTime).
   */
  taskStarted(thread: ThreadHandle, task: Task, at: number): void;
  /** A running task passed `value` to `progress()`, on the main thread (`threads: 0`). */
  taskProgress(thread: ThreadHandle, task: Task, value: unknown): void;
}

/** What the engine needs to make a carrier. */
export interface ThreadSpec {
  name: string;
  /** Index of its task-slot share. */
  slot: number;
  /** How many tasks it may run at once. */
  quota: number;
}

export abstract class ThreadHandle {
  readonly name: string;
  readonly slot: number;
  readonly quota: number;
  state: ThreadState = ThreadState.Starting;
  /** Tasks sent and not yet settled, by seq, in seq order. */
  readonly outstanding = new SeqTable<Task>();
  /** Tasks sent since it started (minus those taken back), for maxTasksPerThread. */
  dispatched = 0;
  /** The seq the next task will get. */
  nextSeq = 1;
  /** Why it is being stopped, set before stop() by whoever stops it; none at exit: it crashed. */
  exitReason: ThreadExitReason | undefined = undefined;
  /** The signal that killed it (a child process), set before its exit is reported; else null. */
  exitSignal: NodeJS.Signals | null = null;
  /** What it is, in messages: "the thread running this task…", "the process…". */
  readonly kind: 'thread' | 'process' = 'thread';
  /** What the tasks running on it fail with as `cause` when it is stopped on purpose (an abort). */
  exitCause: Error | undefined = undefined;
  /**
   * Aborted tasks still running on it within their `abortGrace` (control/controls.ts): while there
   * are any, it may be stopped, and the tasks it has started fail with it (see Scheduler.graceBegan).
   */
  abortsInGrace = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #startTimer: NodeJS.Timeout | undefined;

  constructor(spec: ThreadSpec) {
    this.name = spec.name;
    this.slot = spec.slot;
    this.quota = spec.quota;
  }

  /**
   * Whether tasks may be sent while it is still starting: they wait in it and start as soon as it
   * is ready (after its initializer), which saves a round trip on the way to the first result.
   */
  readonly takesTasksWhileStarting: boolean = false;

  /** Sends tasks to run. */
  abstract send(tasks: Task[]): void;
  /** How many sent tasks have not started. */
  abstract unstarted(): number;
  /** Whether this outstanding task has started. */
  abstract hasStarted(task: Task): boolean;
  /** How many tasks it has started that have not reported back yet. */
  abstract running(): number;
  /** The seq of the task whose synchronous code it is running at this moment (0: none). */
  abstract syncRunning(): number;
  /** Whether the last task it ran synchronously took a millisecond or more. */
  abstract lastTaskLong(): boolean;
  /** Takes back the sent tasks that have not started (those that can move), in seq order. */
  abstract revokeUnstarted(): Task[];
  /**
   * Stops it. `graceful` (the pool was closed, or it idled out): it finishes writing what its
   * tasks wrote and exits by itself; otherwise at once. Resolves once it has exited.
   */
  abstract stop(graceful?: boolean): Promise<void>;

  /** The running task was aborted: its `signal()` aborts with `reason`. */
  abstract abortTask(task: Task, reason: unknown): void;

  /**
   * When this task, sent here with a time limit, started (`Date.now()`), read where the carrier
   * keeps it; 0 when it has not started, or the carrier reports starts instead (taskStarted), or
   * the task has just ended (its result is on its way).
   */
  startTime(_task: Task): number {
    return 0;
  }

  /**
   * Whether the pool's queue holds tasks (see protocol/control-words.ts, MAIN_QUEUED); only a
   * carrier that helps map chunks along needs to know.
   */
  poolQueued(_queued: boolean): void {}

  /** Whether it has started a task that has not reported back yet. */
  isBusy(): boolean {
    return this.running() > 0;
  }

  /** Busy carriers keep the process alive, idle ones never do (where that applies). */
  setBusy(_busy: boolean): void {}

  /**
   * After tasks were sent: busy if any of them could be. Not if none could: no result would come
   * to make it idle again. A task that failed to be sent may have left it idle for a moment (see
   * Engine.taskFailed), with an idle timer that is not for now.
   */
  protected holdIfOutstanding(): void {
    if (this.outstanding.size === 0) return;
    this.clearIdleTimer();
    this.setBusy(true);
  }

  /** Records a task as sent here with this seq. */
  protected track(task: Task, seq: number): void {
    task.seq = seq;
    task.thread = this;
    task.state = TaskState.Dispatched;
    this.outstanding.set(seq, task);
    this.dispatched++;
  }

  /** Forgets tasks taken back: they are queued again, to be sent anywhere. */
  protected untrack(tasks: readonly Task[]): void {
    for (const task of tasks) {
      this.outstanding.delete(task.seq);
      task.thread = null;
      task.state = TaskState.Queued;
    }
    this.dispatched -= tasks.length;
  }

  /** Calls `onIdle` after `ms` unless work comes first (see clearIdleTimer). */
  armIdleTimer(ms: number, onIdle: () => void): void {
    if (ms === Number.POSITIVE_INFINITY || this.#idleTimer) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      onIdle();
    }, ms);
    // An idle carrier never keeps the process alive.
    this.#idleTimer.unref();
  }

  clearIdleTimer(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Calls `onTimeout` if it has not started (become Ready) within `ms`. */
  armStartTimer(ms: number, onTimeout: () => void): void {
    this.#startTimer = setTimeout(() => {
      this.#startTimer = undefined;
      if (this.state === ThreadState.Starting) onTimeout();
    }, ms);
    this.#startTimer.unref();
  }

  clearStartTimer(): void {
    if (this.#startTimer) clearTimeout(this.#startTimer);
    this.#startTimer = undefined;
  }

  clearTimers(): void {
    this.clearIdleTimer();
    this.clearStartTimer();
  }
}
