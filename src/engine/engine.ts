/**
 * The scheduler: one per pool or executor. It owns the queue of waiting tasks and the threads,
 * and decides which thread runs what.
 *
 * The pool's `workers` task slots are shared out among at most `threads` threads (thread i gets
 * `quota` slots). Which waiting task goes to which thread is dispatch-policy.ts's decision: free
 * slots first, oldest task first, then a short read-ahead measured in time. When a thread has a
 * free slot while another holds tasks it has not started (say, behind a long synchronous task),
 * those are taken back and shared out again; a watch timer runs while tasks wait, so that this
 * happens even when no thread reports anything. Threads start when there are more tasks than
 * slots, and a thread with nothing to do does not keep the process alive.
 *
 * Re-entrancy: settling a task runs user code (result callbacks, done-callbacks, `'error'`
 * listeners), and that code may call anything (terminate, cancel, issue more). So the engine never
 * runs it in the middle of a step: every entry point is a step, tasks settled during a step are
 * queued, and their jobs hear of it once the step is done and the engine's state is whole again.
 */
import { performance } from 'node:perf_hooks';
import { BrokenPoolError, CancelledError, WorkerExitError } from '../errors.js';
import { functionRecord } from '../functions/functions.js';
import type { ResolvedPoolOptions } from '../options.js';
import { MAX_SEQ } from '../protocol/claims.js';
import { Outcome } from '../protocol/messages.js';
import { LocalThread } from '../threads/local-thread.js';
import { WorkerThread } from '../threads/worker-thread.js';
import { capturePayload } from './capture.js';
import { planDispatch, type ThreadLoad } from './dispatch-policy.js';
import { describeInline, explainMissingVariable, explainTaskFailure } from './explain.js';
import { StopRegistry } from './stop-registry.js';
import {
  type Job,
  type PoolThread,
  SETTLE,
  type Task,
  TaskState,
  type ThreadHost,
  ThreadState,
} from './task.js';
import { TaskQueue } from './task-queue.js';
import { ThreadWatch } from './thread-watch.js';

export const PoolState = {
  Run: 0,
  Close: 1,
  Terminate: 2,
} as const;
export type PoolState = (typeof PoolState)[keyof typeof PoolState];

/** How long tasks may wait for a busy thread before the engine looks again (doubling to the max). */
const WATCH_FIRST_MS = 2;
const WATCH_MAX_MS = 64;

export class Engine implements ThreadHost {
  readonly options: ResolvedPoolOptions;
  state: PoolState = PoolState.Run;
  broken: BrokenPoolError | null = null;
  readonly #queue = new TaskQueue();
  readonly #threads: PoolThread[] = [];
  readonly #freeSlots: number[] = [];
  readonly #quotas: number[] = [];
  #threadCounter = 0;
  #pumpQueued = false;
  /** Producers (imap inputs) that may still submit tasks. */
  #producers = 0;
  /** What producers want to hear when the pool terminates or breaks. */
  readonly #stopListeners = new StopRegistry((error) => this.reportError(error));
  #finished: Promise<void>;
  #finish!: () => void;
  #finishing = false;
  readonly #idleTimers = new Map<PoolThread, NodeJS.Timeout>();
  readonly #initTimers = new Map<PoolThread, NodeJS.Timeout>();
  #waitTimer: NodeJS.Timeout | undefined;
  #watchDelay = WATCH_FIRST_MS;
  readonly #watches = new Map<PoolThread, ThreadWatch>();
  #keepAlive: NodeJS.Timeout | undefined;
  /** Tasks settled during the current step, as (job, task, outcome, value), for #deliver. */
  readonly #settled: unknown[] = [];
  #settledHead = 0;
  /** How deep in engine steps the call stack is; user code runs only at depth 0. */
  #depth = 0;
  /** Called with errors thrown by user callbacks. */
  readonly reportError: (error: unknown) => void;

  constructor(options: ResolvedPoolOptions, reportError: (error: unknown) => void) {
    this.options = options;
    this.reportError = reportError;
    this.#finished = new Promise((resolve) => {
      this.#finish = resolve;
    });
    const slots = Math.max(1, options.threads);
    for (let i = 0; i < slots; i++) {
      this.#quotas.push(
        Math.floor(options.workers / slots) + (i < options.workers % slots ? 1 : 0),
      );
    }
    for (let i = slots - 1; i >= 0; i--) this.#freeSlots.push(i);
    // Validates the initializer up front (a native function is a TypeError here, not in a thread).
    if (options.initializer && options.threads > 0)
      functionRecord(options.initializer, 'initializer');
  }

  get running(): boolean {
    return this.state === PoolState.Run;
  }

  /** Whether submitted tasks can still run (not terminated, not broken). */
  get acceptsWork(): boolean {
    return this.state !== PoolState.Terminate && this.broken === null;
  }

  /** Queues a task. A terminated or broken pool settles it at once (on a later microtask). */
  submit(task: Task): void {
    if (this.state === PoolState.Terminate || this.broken) {
      const error = this.broken ?? new CancelledError('The pool was terminated');
      queueMicrotask(() => this.#settle(task, Outcome.Error, error));
      return;
    }
    // Values cross to a thread by copy: taken now, not when the task is sent (main thread: as is).
    if (this.options.threads > 0) capturePayload(task);
    this.#queue.push(task);
    this.#schedulePump();
  }

  /** Queues the tasks of one call together (built beforehand, so none is queued if one failed). */
  submitAll(tasks: readonly Task[]): void {
    for (const task of tasks) this.submit(task);
  }

  /** Cancels a task that has not started. Returns false if it has started or settled. */
  cancel(task: Task): boolean {
    return this.#step(() => this.#cancel(task));
  }

  #cancel(task: Task): boolean {
    if (task.state === TaskState.Settled) return false;
    if (task.state === TaskState.Dispatched) {
      const thread = task.thread as PoolThread;
      if (thread.hasStarted(task)) return false;
      const taken = thread.revokeUnstarted();
      if (!taken.includes(task)) {
        // Started between the check and the claim.
        this.#queue.unshiftAll(taken);
        this.#schedulePump();
        return false;
      }
      this.#queue.unshiftAll(taken.filter((t) => t !== task));
      if (thread.outstanding.size === 0) this.#markIdle(thread);
      this.#schedulePump();
    } else {
      this.#queue.removed();
    }
    task.state = TaskState.Settled;
    task.payload = undefined;
    task.job = null;
    return true;
  }

  /** Whether the task is running on a thread now. */
  isRunning(task: Task): boolean {
    return task.state === TaskState.Dispatched && (task.thread as PoolThread).hasStarted(task);
  }

  /** An imap input that may still submit: keeps a closed pool's threads until it is done. */
  holdOpen(onStop?: (error: unknown) => void): () => void {
    this.#producers++;
    let released = false;
    const forget = onStop ? this.onStop(onStop) : undefined;
    return () => {
      if (released) return;
      released = true;
      this.#producers--;
      forget?.();
      this.#schedulePump();
    };
  }

  /**
   * `listener` is called once, with the error its waiters should get, if the pool terminates or
   * breaks: whoever is stuck reading an input for it must give up then. Returns the way to unregister.
   */
  onStop(listener: (error: unknown) => void): () => void {
    return this.#stopListeners.add(listener);
  }

  /** The pool stopped for good: a producer stuck reading its input must give up now. */
  #notifyStopped(error: unknown): void {
    this.#stopListeners.stop(error);
  }

  close(): void {
    if (this.state !== PoolState.Run) return;
    this.state = PoolState.Close;
    this.#schedulePump();
  }

  terminate(): Promise<void> {
    if (this.state !== PoolState.Terminate) {
      this.#step(() => {
        this.state = PoolState.Terminate;
        this.#failEverything(
          () => new CancelledError('The pool was terminated before the task finished'),
        );
        this.#notifyStopped(new CancelledError('The pool was terminated while its input was read'));
        this.#stopAll();
      });
    }
    return this.#finished;
  }

  /** Resolves when the pool is closed or terminated, its work is done and its threads have exited. */
  whenFinished(): Promise<void> {
    return this.#finished;
  }

  // ---- dispatch -------------------------------------------------------------------------------

  #schedulePump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      this.#step(() => this.#pump());
    });
  }

  /**
   * Runs one step of the engine: user code that the step's settlements would run waits until the
   * outermost step is done (see the header). Every entry point goes through here.
   */
  #step<T>(body: () => T): T {
    this.#depth++;
    try {
      return body();
    } finally {
      if (--this.#depth === 0 && this.#settled.length > 0) this.#deliver();
    }
  }

  /**
   * Tells the jobs of the tasks settled during the step, in order. Their user code may start a
   * step of its own (and deliver its own settlements from this same list), so the position is a
   * field, not a local.
   */
  #deliver(): void {
    const settled = this.#settled;
    while (this.#settledHead < settled.length) {
      const i = this.#settledHead;
      this.#settledHead = i + 4;
      const job = settled[i] as Job;
      const task = settled[i + 1] as Task;
      const outcome = settled[i + 2] as Outcome;
      const value = settled[i + 3];
      settled[i] = settled[i + 1] = settled[i + 3] = undefined;
      try {
        job[SETTLE](task, outcome, value);
      } catch (error) {
        this.reportError(error);
      }
    }
    settled.length = 0;
    this.#settledHead = 0;
  }

  #pump(): void {
    if (this.state === PoolState.Terminate || this.broken) return;
    // Threads first: a thread that is starting keeps its share of the queue (see #dispatch).
    this.#startThreadsForDemand();
    this.#takeBackFromStuck();
    this.#dispatch();
    if (this.#queue.size === 0) this.#rebalance();
    this.#watchForWaiting();
    if (this.state === PoolState.Close) this.#finishIfDrained();
  }

  /** `except`: a thread just found holding tasks it could not start gets none back this round. */
  #dispatch(except?: PoolThread): void {
    if (this.#queue.size === 0) return;
    const ready: PoolThread[] = [];
    const loads: ThreadLoad[] = [];
    const now = performance.now();
    const maxTasks = this.options.maxTasksPerThread;
    let anyOutOfSyncCode = false;
    // A long task's successor is worth sending ahead only while each thread has more to come: at
    // the tail of the queue, it would only be taken back for the thread that frees first (and
    // sent, cloned, twice).
    const deepQueue = this.#queue.size >= 2 * this.#threads.length;
    for (const thread of this.#threads) {
      if (thread.state !== ThreadState.Ready) continue;
      const watch = this.#watch(thread);
      const syncSeq = thread.syncRunning();
      const lastTaskLong = thread.lastTaskLong();
      const available = thread !== except && !watch.stuck(syncSeq, lastTaskLong, now);
      ready.push(thread);
      loads.push({
        quota: thread.quota,
        outstanding: thread.outstanding.size,
        available,
        inSyncCode: syncSeq !== 0,
        lifetimeRoom: Math.min(maxTasks - thread.dispatched, MAX_SEQ - thread.nextSeq),
        readAhead: watch.readAhead(lastTaskLong && deepQueue),
      });
      if (available && syncSeq === 0) anyOutOfSyncCode = true;
    }
    if (ready.length === 0) return;
    const plan = planDispatch(loads, this.#queue.size);
    if (plan.threads.length === 0) return;
    const batches: (Task[] | undefined)[] = new Array(ready.length);
    for (let k = 0; k < plan.threads.length; k++) {
      const index = plan.threads[k] as number;
      const task = this.#queue.peek();
      if (!task) break;
      if (task.transfer !== undefined && task.transfer.length > 0) {
        // Its buffers will belong to the thread it is sent to, so it could never be taken back
        // and moved: it goes only into a free slot, and not to a thread busy in synchronous code
        // while another is not (that one will free a slot soon). Later tasks wait behind it.
        if (k >= plan.slotted) break;
        if (anyOutOfSyncCode && (loads[index] as ThreadLoad).inSyncCode) break;
      }
      this.#queue.shift();
      let batch = batches[index];
      if (!batch) {
        batch = [];
        batches[index] = batch;
      }
      batch.push(task);
    }
    // More is coming while tasks wait or an imap input is being read: the main thread is busy.
    const backlog = this.#queue.size > 0 || this.#producers > 0;
    for (let i = 0; i < ready.length; i++) {
      const batch = batches[i];
      if (!batch) continue;
      const thread = ready[i] as PoolThread;
      this.#clearIdle(thread);
      this.#watch(thread).sent(thread.outstanding.size === 0);
      thread.send(batch, backlog);
      if (thread.dispatched >= maxTasks || thread.nextSeq >= MAX_SEQ) {
        thread.state = ThreadState.Retiring;
      }
    }
  }

  #watch(thread: PoolThread): ThreadWatch {
    let watch = this.#watches.get(thread);
    if (!watch) {
      watch = new ThreadWatch();
      this.#watches.set(thread, watch);
    }
    return watch;
  }

  /** Starts threads while there are more tasks than slots. */
  #startThreadsForDemand(): void {
    if (this.state === PoolState.Terminate || this.broken) return;
    let demand = this.#queue.size;
    let slots = 0;
    for (const thread of this.#threads) {
      demand += thread.outstanding.size;
      if (thread.state === ThreadState.Ready || thread.state === ThreadState.Starting) {
        slots += thread.quota;
      }
    }
    while (demand > slots && this.#freeSlots.length > 0) {
      const thread = this.#startThread();
      if (!thread) return;
      slots += thread.quota;
    }
  }

  /**
   * While tasks wait (in the queue, or sent to a thread that has not started them), look again a
   * moment later, even if no thread reports anything meanwhile: a thread may be stuck in a long
   * synchronous task (its unstarted tasks must move), or every started thread may be busy while
   * another thread could start (four CPU-bound tasks on `new ThreadPool(8)`, whose first thread
   * holds four slots). The delay doubles while nothing changes.
   */
  #watchForWaiting(): void {
    if (this.#waitTimer) return;
    if (!this.#hasWaiting()) {
      this.#watchDelay = WATCH_FIRST_MS;
      return;
    }
    this.#waitTimer = setTimeout(() => {
      this.#waitTimer = undefined;
      if (this.state === PoolState.Terminate || this.broken) return;
      this.#step(() => {
        const before = this.#queue.size;
        if (this.#freeSlots.length > 0 && this.#everyThreadBusy() && this.#hasWaiting()) {
          this.#startThread();
        }
        this.#pump();
        this.#watchDelay =
          this.#queue.size < before ? WATCH_FIRST_MS : Math.min(this.#watchDelay * 2, WATCH_MAX_MS);
      });
    }, this.#watchDelay);
    // The busy thread keeps the process alive while it has work; this timer need not.
    this.#waitTimer.unref();
  }

  /**
   * Whether every thread is busy with work it started (a task merely on its way to a thread is
   * not a reason for another thread), and none is starting.
   */
  #everyThreadBusy(): boolean {
    for (const thread of this.#threads) {
      if (thread.state === ThreadState.Starting) return false;
      if (thread.state === ThreadState.Ready && !thread.isBusy()) return false;
    }
    return true;
  }

  #hasWaiting(): boolean {
    if (this.#queue.size > 0) return true;
    for (const thread of this.#threads) if (thread.unstarted() > 0) return true;
    return false;
  }

  #startThread(): PoolThread | undefined {
    const slot = this.#freeSlots.pop() as number;
    const quota = this.#quotas[slot] as number;
    const name = `${this.options.name}-${++this.#threadCounter}`;
    const { initializer, initargs } = this.options;
    let thread: PoolThread;
    try {
      if (this.options.threads === 0) {
        thread = new LocalThread(this, name, quota, initializer as never, initargs);
      } else {
        thread = new WorkerThread(this, {
          name,
          slot,
          quota,
          initializer: initializer ? functionRecord(initializer, 'initializer').def : null,
          initargs,
          resourceLimits: this.options.resourceLimits,
        });
      }
    } catch (error) {
      this.#freeSlots.push(slot);
      this.#breakPool(error, 'a thread could not be started');
      return undefined;
    }
    this.#threads.push(thread);
    const timer = setTimeout(() => {
      this.#initTimers.delete(thread);
      if (thread.state === ThreadState.Starting) {
        this.#step(() =>
          this.#breakPool(
            new Error(
              `Thread ${name} did not finish starting within ${this.options.initializerTimeout} ms (initializerTimeout)`,
            ),
            'a thread did not finish starting',
          ),
        );
      }
    }, this.options.initializerTimeout);
    timer.unref();
    this.#initTimers.set(thread, timer);
    return thread;
  }

  /**
   * A thread stuck in a long synchronous task starts nothing else until it returns: the tasks it
   * holds and has not started go back to the front of the queue (in order), for the threads that
   * are free, or free first.
   */
  #takeBackFromStuck(): void {
    if (this.#threads.length < 2) return;
    const now = performance.now();
    for (const thread of this.#threads) {
      if (thread.state === ThreadState.Stopping || thread.unstarted() === 0) continue;
      if (!this.#watch(thread).stuck(thread.syncRunning(), thread.lastTaskLong(), now)) continue;
      const taken = thread.revokeUnstarted();
      if (taken.length === 0) continue;
      if (thread.outstanding.size === 0) this.#markIdle(thread);
      this.#queue.unshiftAll(taken);
    }
  }

  /**
   * A thread has a free slot and nothing is queued: take back the tasks another thread has not
   * started, so they can run here instead of waiting there (and the oldest of them starts next).
   */
  #rebalance(): void {
    const now = performance.now();
    // A thread with a free slot and no backlog of its own (one with a backlog is not starting
    // what it has: it is busy), not stuck in a synchronous task.
    let thief: PoolThread | undefined;
    for (const thread of this.#threads) {
      if (
        thread.state === ThreadState.Ready &&
        thread.outstanding.size < thread.quota &&
        thread.unstarted() === 0 &&
        !this.#watch(thread).stuck(thread.syncRunning(), thread.lastTaskLong(), now) &&
        (!thief || thread.outstanding.size < thief.outstanding.size)
      ) {
        thief = thread;
      }
    }
    if (!thief) return;
    // A victim is a thread that cannot start what it holds: stuck in a synchronous task, or with
    // every slot taken by tasks it started. (One that has simply not got to its latest batch yet,
    // still receiving it, is not: taking that batch back would only send it on a round trip.)
    let victim: PoolThread | undefined;
    let most = 0;
    for (const thread of this.#threads) {
      if (thread === thief || thread.state === ThreadState.Stopping) continue;
      const unstarted = thread.unstarted();
      if (unstarted <= most) continue;
      if (
        thread.running() < thread.quota &&
        !this.#watch(thread).stuck(thread.syncRunning(), thread.lastTaskLong(), now)
      ) {
        continue;
      }
      most = unstarted;
      victim = thread;
    }
    if (!victim) return;
    const taken = victim.revokeUnstarted();
    if (taken.length === 0) return;
    if (victim.outstanding.size === 0) this.#markIdle(victim);
    this.#queue.unshiftAll(taken);
    this.#dispatch(victim);
  }

  // ---- what threads report ----------------------------------------------------------------------

  threadReady(thread: PoolThread): void {
    this.#step(() => this.#threadReady(thread));
  }

  #threadReady(thread: PoolThread): void {
    this.#clearInitTimer(thread);
    if (thread.state !== ThreadState.Starting) return;
    thread.state = ThreadState.Ready;
    thread.setBusy(false);
    this.#markIdle(thread);
    this.#pump();
  }

  threadInitFailed(thread: PoolThread, error: unknown): void {
    this.#step(() => {
      this.#clearInitTimer(thread);
      const initializer = this.options.initializer;
      let cause = error;
      if (initializer && this.options.threads > 0) {
        const def = functionRecord(initializer, 'initializer').def;
        if (def.kind === 'inline') {
          cause = explainMissingVariable(error, describeInline('the initializer', def.name));
        }
      }
      this.#breakPool(cause, `the initializer failed in thread ${thread.name}`);
    });
  }

  threadResults(thread: PoolThread, results: unknown[]): void {
    this.#step(() => {
      const outstanding = thread.outstanding;
      let count = 0;
      for (let i = 0; i < results.length; i += 3) {
        const task = outstanding.get(results[i] as number);
        if (!task) continue;
        outstanding.delete(task.seq);
        count++;
        this.#settle(task, results[i + 1] as Outcome, results[i + 2]);
      }
      this.#watch(thread).finished(count, outstanding.size === 0);
      if (outstanding.size === 0) this.#markIdle(thread);
      this.#pump();
    });
  }

  taskFailed(task: Task, error: unknown): void {
    this.#step(() => {
      this.#settle(task, Outcome.Error, error);
      // It was sent in place of a task that would have run: if nothing else was sent, no result
      // will come back to dispatch the rest of the queue.
      this.#schedulePump();
    });
  }

  threadExited(thread: PoolThread, exitCode: number, error: unknown): void {
    this.#step(() => this.#threadExited(thread, exitCode, error));
  }

  #threadExited(thread: PoolThread, exitCode: number, error: unknown): void {
    this.#watches.delete(thread);
    this.#clearInitTimer(thread);
    this.#clearIdle(thread);
    const index = this.#threads.indexOf(thread);
    if (index >= 0) this.#threads.splice(index, 1);
    this.#freeSlots.push(thread.slot);
    if (this.state === PoolState.Terminate || this.broken) {
      this.#finishIfStopped();
      return;
    }
    const expected = thread.state === ThreadState.Stopping;
    if (thread.state === ThreadState.Starting) {
      this.#breakPool(
        new WorkerExitError(
          `Thread ${thread.name} exited with code ${exitCode} while starting${error instanceof Error ? `: ${error.message}` : ''}`,
          exitCode,
          thread.name,
          error === undefined ? undefined : { cause: error },
        ),
        `thread ${thread.name} exited while starting`,
      );
      return;
    }
    if (!expected || thread.outstanding.size > 0) {
      // Tasks it had started fail; the ones it had not started go to another thread.
      const requeue: Task[] = [];
      for (const task of thread.outstanding.values()) {
        if (thread.hasStarted(task)) {
          const reason = error instanceof Error ? `: ${error.message}` : '';
          this.#settle(
            task,
            Outcome.Error,
            new WorkerExitError(
              `The thread running this task (${thread.name}) exited with code ${exitCode}${reason}`,
              exitCode,
              thread.name,
              error === undefined ? undefined : { cause: error },
            ),
          );
        } else {
          task.thread = null;
          task.state = TaskState.Queued;
          requeue.push(task);
        }
      }
      thread.outstanding.clear();
      this.#queue.unshiftAll(requeue);
    }
    this.#pump();
    if (this.state === PoolState.Close) this.#finishIfStopped();
  }

  // ---- settling ---------------------------------------------------------------------------------

  #settle(task: Task, outcome: Outcome, value: unknown): void {
    if (task.state === TaskState.Settled) return;
    task.state = TaskState.Settled;
    const job = task.job;
    task.job = null;
    task.payload = undefined;
    task.transfer = undefined;
    if (outcome !== Outcome.Ok && this.options.threads > 0 && task.record.def.kind === 'inline') {
      value = explainTaskFailure(outcome, value, task.record.def.name);
    }
    if (!job) return;
    this.#settled.push(job, task, outcome, value);
    if (this.#depth === 0) this.#deliver();
  }

  #failEverything(makeError: () => unknown): void {
    const tasks = this.#queue.drain();
    for (const thread of this.#threads) {
      for (const task of thread.outstanding.values()) tasks.push(task);
      thread.outstanding.clear();
    }
    for (const task of tasks) this.#settle(task, Outcome.Error, makeError());
  }

  #breakPool(cause: unknown, what: string): void {
    if (this.broken || this.state === PoolState.Terminate) return;
    const message = `The pool is broken: ${what}${cause instanceof Error ? `: ${cause.message}` : ''}`;
    this.broken = new BrokenPoolError(message, { cause });
    const broken = this.broken;
    this.#failEverything(() => broken);
    this.#notifyStopped(broken);
    this.#stopAll();
  }

  // ---- threads coming and going -------------------------------------------------------------------

  #markIdle(thread: PoolThread): void {
    thread.setBusy(false);
    if (thread.state === ThreadState.Retiring) {
      void thread.stop(true);
      return;
    }
    const timeout = this.options.idleTimeout;
    if (timeout === Number.POSITIVE_INFINITY || this.#idleTimers.has(thread)) return;
    const timer = setTimeout(() => {
      this.#idleTimers.delete(thread);
      if (thread.outstanding.size === 0 && thread.state === ThreadState.Ready)
        void thread.stop(true);
    }, timeout);
    timer.unref();
    this.#idleTimers.set(thread, timer);
  }

  #clearIdle(thread: PoolThread): void {
    const timer = this.#idleTimers.get(thread);
    if (timer) {
      clearTimeout(timer);
      this.#idleTimers.delete(thread);
    }
  }

  #clearInitTimer(thread: PoolThread): void {
    const timer = this.#initTimers.get(thread);
    if (timer) {
      clearTimeout(timer);
      this.#initTimers.delete(thread);
    }
  }

  #finishIfDrained(): void {
    if (this.#finishing || this.#queue.size > 0 || this.#producers > 0) return;
    for (const thread of this.#threads) if (thread.outstanding.size > 0) return;
    this.#finishing = true;
    this.#stopAll(true);
  }

  #stopAll(graceful = false): void {
    if (this.#waitTimer) clearTimeout(this.#waitTimer);
    this.#waitTimer = undefined;
    for (const timer of this.#initTimers.values()) clearTimeout(timer);
    this.#initTimers.clear();
    for (const timer of this.#idleTimers.values()) clearTimeout(timer);
    this.#idleTimers.clear();
    this.#finishing = true;
    if (this.#threads.length > 0 && !this.#keepAlive) {
      // Until the last thread has reported its exit, hold the process: a Worker being terminated
      // does not reliably keep the event loop alive on its own, and someone may be awaiting
      // terminate() or join() with nothing else pending (seen: exit code 13, about 1 run in 50).
      this.#keepAlive = setInterval(() => {}, 60_000);
    }
    for (const thread of this.#threads) void thread.stop(graceful);
    this.#finishIfStopped();
  }

  #finishIfStopped(): void {
    if (this.#finishing && this.#threads.length === 0) {
      if (this.#keepAlive) clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
      this.#finish();
    }
  }
}
