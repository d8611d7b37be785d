/**
 * The scheduler: one per pool or executor. It owns the queue of waiting tasks and the threads,
 * and decides which thread runs what.
 *
 * The pool's `workers` task slots are shared out among at most `threads` threads (thread i gets
 * `quota` slots). Dispatch first fills free slots, so no task waits while a slot is free, then
 * sends each thread a bounded number of extra tasks (prefetch) so that a thread never idles
 * waiting for the next message. When a thread has a free slot and nothing is queued while another
 * thread still holds tasks it has not started (say, behind a long synchronous task), those are
 * taken back and shared out again. Threads start when there are more tasks than slots, and a
 * thread with nothing to do does not keep the process alive.
 */
import { BrokenPoolError, CancelledError, WorkerExitError } from '../errors.js';
import type { ResolvedPoolOptions } from '../options.js';
import { MAX_SEQ } from '../protocol/claims.js';
import { Outcome } from '../protocol/messages.js';
import { functionRecord } from './functions.js';
import { LocalThread } from './local-thread.js';
import {
  type PoolThread,
  SETTLE,
  type Task,
  TaskState,
  type ThreadHost,
  ThreadState,
} from './task.js';
import { TaskQueue } from './task-queue.js';
import { WorkerThread } from './worker-thread.js';

export const PoolState = {
  Run: 0,
  Close: 1,
  Terminate: 2,
} as const;
export type PoolState = (typeof PoolState)[keyof typeof PoolState];

/** Extra tasks a thread may hold beyond its slots, so it always has the next batch at hand. */
const PREFETCH = 512;
/** How long tasks may wait for a busy thread before another thread is started for them. */
const WAIT_BEFORE_ANOTHER_THREAD_MS = 3;

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
  readonly #stopListeners = new Set<(error: unknown) => void>();
  #finished: Promise<void>;
  #finish!: () => void;
  #finishing = false;
  readonly #idleTimers = new Map<PoolThread, NodeJS.Timeout>();
  readonly #initTimers = new Map<PoolThread, NodeJS.Timeout>();
  #waitTimer: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
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
    this.#queue.push(task);
    this.#schedulePump();
  }

  submitAll(tasks: Task[]): void {
    for (const task of tasks) this.submit(task);
  }

  /** Cancels a task that has not started. Returns false if it has started or settled. */
  cancel(task: Task): boolean {
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
    this.#stopListeners.add(listener);
    return () => this.#stopListeners.delete(listener);
  }

  /** The pool stopped for good: a producer stuck reading its input must give up now. */
  #notifyStopped(error: unknown): void {
    const listeners = [...this.#stopListeners];
    this.#stopListeners.clear();
    for (const listener of listeners) {
      try {
        listener(error);
      } catch (listenerError) {
        this.reportError(listenerError);
      }
    }
  }

  close(): void {
    if (this.state !== PoolState.Run) return;
    this.state = PoolState.Close;
    this.#schedulePump();
  }

  terminate(): Promise<void> {
    if (this.state !== PoolState.Terminate) {
      this.state = PoolState.Terminate;
      this.#failEverything(
        () => new CancelledError('The pool was terminated before the task finished'),
      );
      this.#notifyStopped(new CancelledError('The pool was terminated while its input was read'));
      this.#stopAll();
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
      this.#pump();
    });
  }

  #pump(): void {
    if (this.state === PoolState.Terminate || this.broken) return;
    // Threads first: a thread that is starting keeps its share of the queue (see #dispatch).
    this.#startThreadsForDemand();
    this.#dispatch();
    if (this.#queue.size === 0) this.#rebalance();
    if (this.state === PoolState.Close) this.#finishIfDrained();
  }

  /** `except`: a thread just found holding tasks it could not start gets none back this round. */
  #dispatch(except?: PoolThread): void {
    if (this.#queue.size === 0) return;
    const ready: PoolThread[] = [];
    let starting = 0;
    let startingSlots = 0;
    for (const thread of this.#threads) {
      if (thread.state === ThreadState.Ready && thread !== except) ready.push(thread);
      else if (thread.state === ThreadState.Starting) {
        starting++;
        startingSlots += thread.quota;
      }
    }
    if (ready.length === 0) return;
    // The least loaded first: an idle thread gets work before one still busy with its own.
    if (ready.length > 1)
      ready.sort((a, b) => a.outstanding.size / a.quota - b.outstanding.size / b.quota);
    const maxTasks = this.options.maxTasksPerThread;
    const batches = new Map<PoolThread, Task[]>();
    const room = (thread: PoolThread, limit: number): number => {
      const planned = batches.get(thread)?.length ?? 0;
      const byLimit = limit - thread.outstanding.size - planned;
      const byLifetime = maxTasks - thread.dispatched - planned;
      const bySeq = MAX_SEQ - thread.nextSeq - planned;
      return Math.min(byLimit, byLifetime, bySeq);
    };
    const take = (thread: PoolThread, count: number): void => {
      let batch = batches.get(thread);
      for (let i = 0; i < count; i++) {
        const task = this.#queue.shift();
        if (!task) break;
        if (!batch) {
          batch = [];
          batches.set(thread, batch);
        }
        batch.push(task);
      }
    };
    // 1. Free slots first, so no task waits while a slot is free.
    for (const thread of ready) {
      if (this.#queue.size === 0) break;
      take(thread, Math.min(room(thread, thread.quota), this.#queue.size));
    }
    // 2. Prefetch: an even share of the rest, counting threads still starting in the share; and
    // nothing at all when what is left fits in the slots of the threads that are starting.
    if (this.#queue.size > startingSlots) {
      const share = Math.ceil(this.#queue.size / (ready.length + starting));
      for (const thread of ready) {
        if (this.#queue.size === 0) break;
        const limit = thread.quota + Math.max(thread.quota, PREFETCH);
        const count = Math.min(room(thread, limit), share);
        // Top up in large batches only: refilling each small batch of results with a small batch
        // of tasks would settle into a ping-pong of tiny messages.
        if (count >= Math.min(PREFETCH / 4, share)) take(thread, count);
      }
    }
    // More is coming while tasks wait or an imap input is being read: the main thread is busy.
    const backlog = this.#queue.size > 0 || this.#producers > 0;
    for (const [thread, batch] of batches) {
      this.#clearIdle(thread);
      thread.send(batch, backlog);
      if (thread.dispatched >= maxTasks || thread.nextSeq >= MAX_SEQ) {
        thread.state = ThreadState.Retiring;
      }
    }
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
    this.#watchForWaiting();
  }

  /**
   * Fewer tasks than slots can still be waiting: behind a thread busy in synchronous code (say,
   * four CPU-bound tasks on `new ThreadPool(8)`, whose first thread holds four slots), or for a
   * thread's slots while its async tasks await. If tasks are still waiting a moment later and
   * another thread may start, start one: it takes a share of the queue, and the tasks the busy
   * thread has not started are taken back for it (#rebalance).
   */
  #watchForWaiting(): void {
    if (this.#waitTimer || this.#freeSlots.length === 0 || !this.#hasWaiting()) return;
    this.#waitTimer = setTimeout(() => {
      this.#waitTimer = undefined;
      if (this.state === PoolState.Terminate || this.broken || this.#freeSlots.length === 0) return;
      // Only when every thread is busy with work it started (a task merely on its way to a
      // thread is not a reason for another thread), and none is already starting.
      let busy = true;
      for (const thread of this.#threads) {
        if (thread.state === ThreadState.Starting) busy = false;
        else if (thread.state === ThreadState.Ready && !thread.isBusy()) busy = false;
      }
      if (busy && this.#hasWaiting()) this.#startThread();
      this.#pump();
    }, WAIT_BEFORE_ANOTHER_THREAD_MS);
    // The busy thread keeps the process alive while it has work; this timer need not.
    this.#waitTimer.unref();
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
        this.#breakPool(
          new Error(
            `Thread ${name} did not finish starting within ${this.options.initializerTimeout} ms (initializerTimeout)`,
          ),
          'a thread did not finish starting',
        );
      }
    }, this.options.initializerTimeout);
    timer.unref();
    this.#initTimers.set(thread, timer);
    return thread;
  }

  /**
   * A thread has a free slot and nothing is queued: take back the tasks another thread has not
   * started, so they can run here instead of waiting there.
   */
  #rebalance(): void {
    // A thread with a free slot and no backlog of its own (one with a backlog is not starting
    // what it has: it is busy).
    let thief: PoolThread | undefined;
    for (const thread of this.#threads) {
      if (
        thread.state === ThreadState.Ready &&
        thread.outstanding.size < thread.quota &&
        thread.unstarted() === 0 &&
        (!thief || thread.outstanding.size < thief.outstanding.size)
      ) {
        thief = thread;
      }
    }
    if (!thief) return;
    let victim: PoolThread | undefined;
    let most = 0;
    for (const thread of this.#threads) {
      if (thread === thief || thread.state === ThreadState.Stopping) continue;
      const unstarted = thread.unstarted();
      if (unstarted > most) {
        most = unstarted;
        victim = thread;
      }
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
    this.#clearInitTimer(thread);
    if (thread.state !== ThreadState.Starting) return;
    thread.state = ThreadState.Ready;
    thread.setBusy(false);
    this.#markIdle(thread);
    this.#pump();
  }

  threadInitFailed(thread: PoolThread, error: unknown): void {
    this.#clearInitTimer(thread);
    this.#breakPool(error, `the initializer failed in thread ${thread.name}`);
  }

  threadResults(thread: PoolThread, results: unknown[]): void {
    const outstanding = thread.outstanding;
    for (let i = 0; i < results.length; i += 3) {
      const task = outstanding.get(results[i] as number);
      if (!task) continue;
      outstanding.delete(task.seq);
      this.#settle(task, results[i + 1] as Outcome, results[i + 2]);
    }
    if (outstanding.size === 0) this.#markIdle(thread);
    this.#pump();
  }

  taskFailed(task: Task, error: unknown): void {
    this.#settle(task, Outcome.Error, error);
    // It was sent in place of a task that would have run: if nothing else was sent, no result
    // will come back to dispatch the rest of the queue.
    this.#schedulePump();
  }

  threadExited(thread: PoolThread, exitCode: number, error: unknown): void {
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
    if (
      outcome === Outcome.Error &&
      this.options.threads > 0 &&
      task.record.def.kind === 'inline'
    ) {
      value = explainMissingVariable(value, task.record.def.name);
    }
    try {
      job?.[SETTLE](task, outcome, value);
    } catch (error) {
      this.reportError(error);
    }
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

/** A ReferenceError from an inline function most likely means it read a variable of the caller's scope. */
function explainMissingVariable(error: unknown, functionName: string): unknown {
  if (!(error instanceof ReferenceError)) return error;
  const match = /^(\S+) is not defined$/.exec(error.message);
  if (!match) return error;
  const variable = match[1] as string;
  error.message =
    `${variable} is not defined in the worker thread: the task function ${functionName ? `"${functionName}" ` : ''}` +
    `runs in another thread and cannot read variables of the caller's scope. ` +
    `Pass ${variable} as an argument, or move the function into a task module (fromModule).`;
  if (typeof error.stack === 'string') {
    error.stack = error.stack.replace(/^ReferenceError: .*$/m, `ReferenceError: ${error.message}`);
  }
  return error;
}
