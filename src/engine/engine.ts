/**
 * The engine: one per pool or executor. It owns the pool's lifecycle (a small state machine),
 * routes what the carriers report to the tasks' jobs, and settles every task exactly once.
 * Where tasks go is the scheduler's business (scheduler.ts, deciding with dispatch-policy.ts),
 * what carries them is the host kind's (threads/host.ts, chosen once here), and when user code
 * hears of a settlement is deliveries.ts's (never in the middle of a step).
 *
 *   Running ──close()──▶ Closing ──(drained)──▶ threads stop gracefully
 *      │                    │
 *      ├──(a thread cannot start, an initializer fails)──▶ Broken: every task fails with it
 *      └──────────────terminate() from any state──────────▶ Terminated
 */
import { Controls } from '../control/controls.js';
import { BrokenPoolError, CancelledError } from '../errors.js';
import type { FunctionRecord } from '../functions/functions.js';
import type { ResolvedPoolOptions } from '../options/types.js';
import { Outcome } from '../protocol/messages.js';
import { readStarts } from '../protocol/results.js';
import { type HostKind, hostKindFor } from '../threads/host.js';
import { type ThreadHandle, type ThreadReports, ThreadState } from '../threads/thread-handle.js';
import { capturePayload } from './capture.js';
import { Deliveries } from './deliveries.js';
import { startExitError, taskExitError } from './exit-error.js';
import { describeInline, explainMissingVariable, explainTaskFailure } from './explain.js';
import { NO_EVENTS, WorkAnnouncer, type WorkEventSink } from './pool-events.js';
import { Scheduler, type SchedulerOwner } from './scheduler.js';
import { fromThreadClock, type PoolStats, StatsCollector } from './stats.js';
import { StopRegistry } from './stop-registry.js';
import { type Task, TaskState } from './task.js';

/** Settled once, for queuing microtasks (see #schedulePump). */
const SETTLED = Promise.resolve();

/** Python's names for a pool's lifecycle (`pool._state`), as `ThreadPool.state` shows them. */
export const PoolState = {
  Run: 0,
  Close: 1,
  Terminate: 2,
} as const;
export type PoolState = (typeof PoolState)[keyof typeof PoolState];

const Phase = {
  Running: 0,
  /** close(): no new calls; what was issued runs, then the threads stop gracefully. */
  Closing: 1,
  /** A thread could not start or its initializer failed: every task fails with `broken`. */
  Broken: 2,
  /** terminate(): every task not settled is cancelled, the threads are stopped at once. */
  Terminated: 3,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

export class Engine implements ThreadReports, SchedulerOwner {
  readonly options: ResolvedPoolOptions;
  /** Called with errors thrown by user callbacks. */
  readonly reportError: (error: unknown) => void;
  #phase: Phase = Phase.Running;
  /** close() was called (a broken pool shows as CLOSE after it, RUN before). */
  #closed = false;
  #broken: BrokenPoolError | null = null;
  readonly #host: HostKind;
  readonly #scheduler: Scheduler;
  readonly #deliveries: Deliveries;
  /** Aborts, time limits and progress of the tasks whose call asked for them (control/). */
  readonly #controls: Controls;
  #pumpQueued = false;
  /** What producers want to hear when the pool terminates or breaks. */
  readonly #stopListeners = new StopRegistry((error) => this.reportError(error));
  readonly #finished: Promise<void>;
  #finish!: () => void;
  #finishing = false;
  #keepAlive: NodeJS.Timeout | undefined;
  readonly #stats: StatsCollector;
  readonly #events: WorkAnnouncer;
  /** Calls issued and not settled, as the 'idle' edge reads them. */
  readonly #pending = (): number => this.#stats.pending;

  /** `events`: the pool or executor, which emits the work events (see pool-events.ts). */
  constructor(
    options: ResolvedPoolOptions,
    reportError: (error: unknown) => void,
    events: WorkEventSink = NO_EVENTS,
    host: HostKind = hostKindFor(options),
  ) {
    this.options = options;
    this.reportError = reportError;
    this.#stats = new StatsCollector(options.workers, options.timings);
    this.#host = host;
    this.#deliveries = new Deliveries(reportError, () => this.#endOfStep());
    this.#events = new WorkAnnouncer(events, this.#deliveries, reportError);
    this.#scheduler = new Scheduler(options, this.#host, this);
    this.#controls = new Controls({
      options,
      isolated: this.#host.isolated,
      step: (body) => this.step(body),
      reject: (task, reason, cancelled) => this.#settle(task, Outcome.Error, reason, cancelled),
      withdraw: (task) => this.#scheduler.withdraw(task),
      graceBegan: (thread) => this.#scheduler.graceBegan(thread),
      graceEnded: (thread) => this.#scheduler.graceEnded(thread),
      takeBackBeforeStop: (thread) => this.#scheduler.takeBackBeforeStop(thread),
      pumpSoon: () => this.#schedulePump(),
    });
    this.#finished = new Promise((resolve) => {
      this.#finish = resolve;
    });
    // Checked up front: a native function as initializer is a TypeError here, not in a thread.
    if (options.initializer) this.#host.record(options.initializer, 'initializer');
  }

  /** Python's lifecycle name of the pool. */
  get state(): PoolState {
    if (this.#phase === Phase.Terminated) return PoolState.Terminate;
    return this.#closed ? PoolState.Close : PoolState.Run;
  }

  /** Whether new calls may be issued (they fail at once if the pool is broken). */
  get running(): boolean {
    return this.state === PoolState.Run;
  }

  /** Whether submitted tasks can still run (not terminated, not broken). */
  get acceptsWork(): boolean {
    return this.#phase === Phase.Running || this.#phase === Phase.Closing;
  }

  /** The error every task of a broken pool fails with; null unless broken. */
  get broken(): BrokenPoolError | null {
    return this.#broken;
  }

  get dispatching(): boolean {
    return this.acceptsWork;
  }

  /** The record of a task function for this pool's kind of carrier (a TypeError if it cannot run). */
  record(fn: unknown, what?: string): FunctionRecord {
    return this.#host.record(fn, what);
  }

  step<T>(body: () => T): T {
    return this.#deliveries.step(body);
  }

  /** Queues a task. A terminated or broken pool settles it at once (on a later microtask). */
  submit(task: Task): void {
    this.#stats.issued(task);
    this.#events.issued();
    if (!this.acceptsWork) {
      const broken = this.#broken;
      const error = broken ?? new CancelledError('The pool was terminated');
      queueMicrotask(() => this.step(() => this.#settle(task, Outcome.Error, error, !broken)));
      return;
    }
    if (task.control !== undefined && !this.#controls.attach(task)) {
      // Its call's signal has aborted: it is never sent.
      const reason = task.control.reason;
      queueMicrotask(() => this.#settle(task, Outcome.Error, reason));
      return;
    }
    // Values cross to a thread by copy: taken now, not when the task is sent.
    if (this.#host.copiesValues) capturePayload(task, this.#host.serializesCalls === true);
    this.#scheduler.queue.push(task);
    this.#schedulePump();
  }

  /** Cancels a task that has not started. Returns false if it has started or settled. */
  cancel(task: Task): boolean {
    return this.step(() => {
      if (task.state === TaskState.Settled) return false;
      const withdrawn = this.#scheduler.withdraw(task);
      this.#schedulePump();
      if (!withdrawn) return false;
      task.state = TaskState.Settled;
      task.payload = undefined;
      task.job = null;
      this.#stats.withdrawn(task);
      if (task.control !== undefined) this.#controls.released(task);
      return true;
    });
  }

  /** A snapshot of the pool's counts, threads and timings (see stats.ts). */
  stats(): PoolStats {
    return this.#stats.snapshot(this.#scheduler.threads);
  }

  /** Aborts these tasks (their signal aborted): see control/controls.ts. */
  abort(tasks: readonly Task[], reason: unknown): void {
    this.#controls.abort(tasks, reason);
  }

  /** Whether the task is running on a thread now. */
  isRunning(task: Task): boolean {
    return task.state === TaskState.Dispatched && (task.thread as ThreadHandle).hasStarted(task);
  }

  /** An imap input that may still submit: keeps a closed pool's threads until it is done. */
  holdOpen(onStop?: (error: unknown) => void): () => void {
    this.#scheduler.producers++;
    let released = false;
    const forget = onStop ? this.onStop(onStop) : undefined;
    return () => {
      if (released) return;
      released = true;
      this.#scheduler.producers--;
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

  close(): void {
    if (this.#closed || this.#phase === Phase.Terminated) return;
    this.#closed = true;
    if (this.#phase === Phase.Running) this.#phase = Phase.Closing;
    this.#schedulePump();
  }

  terminate(): Promise<void> {
    if (this.#phase !== Phase.Terminated) {
      this.step(() => {
        this.#phase = Phase.Terminated;
        this.#failEverything(
          () => new CancelledError('The pool was terminated before the task finished'),
          true,
        );
        this.#notifyStopped(new CancelledError('The pool was terminated while its input was read'));
        this.#stopAll(false);
      });
    }
    return this.#finished;
  }

  /** Resolves when the pool is closed or terminated, its work is done and its threads have exited. */
  whenFinished(): Promise<void> {
    return this.#finished;
  }

  // ---- what carriers report -----------------------------------------------------------------------

  threadReady(thread: ThreadHandle): void {
    this.step(() => {
      thread.clearStartTimer();
      if (thread.state !== ThreadState.Starting) return;
      this.#scheduler.ready(thread);
      this.#pump();
    });
  }

  threadInitFailed(thread: ThreadHandle, error: unknown): void {
    this.step(() => {
      thread.clearStartTimer();
      let cause = error;
      const initializer = this.options.initializer;
      if (initializer && this.#host.isolated) {
        const def = this.#host.record(initializer, 'initializer').def;
        if (def.kind === 'inline') {
          cause = explainMissingVariable(error, describeInline('the initializer', def.name));
        }
      }
      this.#break(cause, `the initializer failed in thread ${thread.name}`);
    });
  }

  threadResults(thread: ThreadHandle, results: unknown[]): void {
    // A step, entered and left by hand: a closure per batch of results would be garbage on the
    // round trip of every task answered one at a time.
    this.#deliveries.enter();
    try {
      const outstanding = thread.outstanding;
      // When the thread started its tasks, known before they settle (the stats' timings).
      const end = this.options.timings
        ? readStarts(results, (seq, time) => {
            const task = outstanding.get(seq);
            if (task) task.startedAt = fromThreadClock(time);
          })
        : results.length;
      let count = 0;
      for (let i = 0; i < end; i += 3) {
        const task = outstanding.get(results[i] as number);
        if (!task) continue;
        if (results[i + 1] === Outcome.Progress) {
          this.#progress(task, results[i + 2]);
          continue;
        }
        outstanding.delete(task.seq);
        count++;
        if (task.control !== undefined) this.#controls.ended(task);
        this.#settle(task, results[i + 1] as Outcome, results[i + 2]);
      }
      this.#scheduler.finished(thread, count);
      this.#pump();
    } finally {
      this.#deliveries.leave();
    }
  }

  taskFailed(thread: ThreadHandle, task: Task, error: unknown): void {
    this.step(() => {
      this.#settle(task, Outcome.Error, error);
      // No result will come for it: if it was all the carrier had, the carrier is idle now (and
      // must not keep the process alive, nor miss its idleTimeout or its retirement).
      if (thread.outstanding.size === 0) this.#scheduler.markIdle(thread);
      // It was sent in place of a task that would have run: if nothing else was sent, no result
      // will come back to dispatch the rest of the queue.
      this.#schedulePump();
    });
  }

  threadStarted(thread: ThreadHandle): void {
    this.#stats.threadStarted();
    this.#events.threadStarted(thread.name);
  }

  taskStarted(_thread: ThreadHandle, task: Task, at: number): void {
    this.#controls.started(task, at);
  }

  timedSent(task: Task, now: number): void {
    this.#controls.sent(task, now);
  }

  taskProgress(_thread: ThreadHandle, task: Task, value: unknown): void {
    this.step(() => this.#progress(task, value));
  }

  threadExited(thread: ThreadHandle, exitCode: number, error: unknown): void {
    this.step(() => {
      const wasStarting = thread.state === ThreadState.Starting;
      const expected = thread.state === ThreadState.Stopping;
      const reason = thread.exitReason ?? 'crash';
      // One that dies while starting breaks the pool: it is not replaced.
      this.#stats.threadExited(reason, this.acceptsWork && !wasStarting);
      this.#events.threadExited({ name: thread.name, exitCode, reason });
      this.#scheduler.forget(thread);
      if (!this.acceptsWork) {
        this.#finishIfStopped();
        return;
      }
      if (wasStarting) {
        // Tasks sent while it started (none of them started) fail with the pool.
        this.#failStarted(thread, exitCode, error);
        this.#break(
          startExitError(thread, exitCode, error),
          `${thread.kind} ${thread.name} exited while starting`,
        );
        return;
      }
      if (!expected || thread.outstanding.size > 0) {
        this.#failStarted(thread, exitCode, error ?? thread.exitCause);
      }
      this.#pump();
      if (this.#phase === Phase.Closing) this.#finishIfStopped();
    });
  }

  startFailed(cause: unknown, what: string): void {
    this.#break(cause, what);
  }

  // ---- internals ----------------------------------------------------------------------------------

  #schedulePump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    // A reaction on a settled promise: the same microtask queue as queueMicrotask, without the
    // async resource and bound function that one makes per call.
    void SETTLED.then(this.#queuedPump);
  }

  // Made once: a pool that answers one task at a time queues a pump per task.
  readonly #queuedPump = (): void => {
    this.#pumpQueued = false;
    this.step(this.#pumpStep);
  };
  readonly #pumpStep = (): void => this.#pump();

  #pump(): void {
    if (!this.acceptsWork) return;
    this.#scheduler.pump();
    if (this.#phase === Phase.Closing) this.#finishIfDrained();
  }

  /** A thread died: the tasks it had started fail; the ones it had not go to another thread. */
  #failStarted(thread: ThreadHandle, exitCode: number, error: unknown): void {
    const requeue: Task[] = [];
    for (const task of thread.outstanding.values()) {
      if (thread.hasStarted(task)) {
        this.#settle(task, Outcome.Error, taskExitError(thread, exitCode, error));
      } else {
        task.thread = null;
        task.state = TaskState.Queued;
        requeue.push(task);
      }
    }
    thread.outstanding.clear();
    this.#scheduler.requeue(requeue);
  }

  /** A value the task passed to `progress()`: its call's onProgress hears of it after the step. */
  #progress(task: Task, value: unknown): void {
    const control = task.control;
    if (task.state === TaskState.Settled || control?.onProgress === undefined) return;
    this.#deliveries.add(control, task, Outcome.Progress, value);
  }

  /** `cancelled`: settled by a cancellation (terminate), counted so in the stats. */
  #settle(task: Task, outcome: Outcome, value: unknown, cancelled = false): void {
    if (task.state === TaskState.Settled) return;
    task.state = TaskState.Settled;
    this.#stats.settled(task, outcome, value, cancelled);
    if (task.control !== undefined) this.#controls.released(task);
    const job = task.job;
    task.job = null;
    task.payload = undefined;
    task.transfer = undefined;
    if (outcome !== Outcome.Ok && this.#host.isolated && task.record.def.kind === 'inline') {
      value = explainTaskFailure(outcome, value, task.record.def.name);
    }
    if (job) this.#deliveries.add(job, task, outcome, value);
  }

  #failEverything(makeError: () => unknown, cancelled = false): void {
    for (const task of this.#scheduler.takeAll()) {
      this.#settle(task, Outcome.Error, makeError(), cancelled);
    }
  }

  #break(cause: unknown, what: string): void {
    if (!this.acceptsWork) return;
    const message = `The pool is broken: ${what}${cause instanceof Error ? `: ${cause.message}` : ''}`;
    const broken = new BrokenPoolError(message, { cause });
    this.#phase = Phase.Broken;
    this.#broken = broken;
    this.#failEverything(() => broken);
    this.#notifyStopped(broken);
    this.#stopAll(false);
  }

  /** The pool stopped for good: a producer stuck reading its input must give up now. */
  #notifyStopped(error: unknown): void {
    this.#stopListeners.stop(error);
  }

  #finishIfDrained(): void {
    if (this.#finishing || this.#scheduler.producers > 0 || this.#scheduler.hasWork()) return;
    this.#stopAll(true);
  }

  #stopAll(graceful: boolean): void {
    this.#finishing = true;
    if (this.#scheduler.threads.length > 0 && !this.#keepAlive) {
      // Until the last thread has reported its exit, hold the process: a Worker being terminated
      // does not reliably keep the event loop alive on its own, and someone may be awaiting
      // terminate() or join() with nothing else pending (seen: exit code 13, about 1 run in 50).
      this.#keepAlive = setInterval(() => {}, 60_000);
    }
    this.#scheduler.stopAll(graceful);
    this.#finishIfStopped();
  }

  /** The step is over: the stats' step clock, and the 'drain'/'idle' edges (pool-events.ts). */
  #endOfStep(): void {
    this.#stats.stepEnded();
    this.#events.endOfStep(this.#scheduler, this.#pending);
  }

  #finishIfStopped(): void {
    if (this.#finishing && this.#scheduler.threads.length === 0) {
      if (this.#keepAlive) clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
      this.#finish();
    }
  }
}
