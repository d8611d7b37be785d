/**
 * The engine's side of aborts and timeouts: what happens to a task whose signal aborts or whose
 * running time runs out, wherever it is.
 *
 * - Not started (in the queue, or sent to a thread that has not started it): taken out (from the
 *   thread too, through the claims, so it can never run) and rejected with the reason at once.
 * - Running: rejected with the reason at once (the caller does not wait), and its thread is told,
 *   so that `signal()` aborts inside the task. Its slot stays taken until it ends. If it has not
 *   ended `abortGrace` ms later, its worker thread is stopped (exit reason 'abort') and replaced:
 *   what the thread had not started moves elsewhere, and the tasks running beside it fail with a
 *   WorkerExitError whose `cause` names the aborted task. The main thread (`threads: 0`) cannot
 *   be stopped: there the task runs on until it returns, and its result is dropped.
 * - During the grace the thread is doomed (Scheduler.graceBegan): what it has not started moves
 *   at once, and new tasks go to it only when no other thread can take them, so that as few
 *   tasks as can be start beside a task that may never stop. Once the task ends, it is a thread
 *   like any other again.
 *
 * A task's running time is counted from when its thread starts it, not while it waits. It is
 * looked at first one limit after it was sent to a thread: it cannot have run out sooner, as it
 * started no sooner (tasks sent about together share that timer, see timeout-groups.ts). Most
 * tasks have ended by then, and cost neither a message nor a timer of their own. One that has not
 * is looked at: not started yet, it waits a whole limit again; started, its thread tells when (a
 * worker thread writes it in shared memory, see protocol/start-times.ts), and it is aborted when
 * its limit from there runs out. A carrier that cannot be asked (a child process) reports each
 * start as it happens instead (`started`).
 */
import { performance } from 'node:perf_hooks';
import type { Task } from '../engine/task.js';
import { TaskState } from '../engine/task.js';
import { TimeoutError } from '../errors.js';
import type { ResolvedPoolOptions } from '../options/types.js';
import type { ThreadHandle } from '../threads/thread-handle.js';
import { ThreadState } from '../threads/thread-handle.js';
import type { CallControl } from './call-control.js';
import { TimeoutGroups } from './timeout-groups.js';

/** What the controls need of the engine. */
export interface ControlsOwner {
  readonly options: ResolvedPoolOptions;
  /** Whether carriers are threads that can be stopped (not the main thread). */
  readonly isolated: boolean;
  step<T>(body: () => T): T;
  /**
   * Settles the task (not settled yet) with the error; `cancelled`: stopped on request (its
   * signal), counted so in the stats, rather than failed (its timeout).
   */
  reject(task: Task, reason: unknown, cancelled: boolean): void;
  /** Takes a task that has not started out of the scheduler (see Scheduler.withdraw). */
  withdraw(task: Task): boolean;
  /** An aborted task on `thread` has its grace: see Scheduler.graceBegan. */
  graceBegan(thread: ThreadHandle): void;
  /** That grace is over (the task ended, or its thread is being stopped). */
  graceEnded(thread: ThreadHandle): void;
  /** The thread is about to be stopped: what it has not started goes back to the queue. */
  takeBackBeforeStop(thread: ThreadHandle): void;
  /** The queue changed: dispatch again soon. */
  pumpSoon(): void;
}

export class Controls {
  readonly #owner: ControlsOwner;
  /** Sent tasks with a time limit, waiting for a first look (or a look again). */
  readonly #groups = new TimeoutGroups((tasks, limit) => this.#look(tasks, limit));
  /** Running tasks whose start is known, and the timer that ends them. */
  readonly #timeouts = new Map<Task, NodeJS.Timeout>();
  /** Aborted tasks still running on a thread: the thread, and the timer that stops it. */
  readonly #graces = new Map<Task, Grace>();

  constructor(owner: ControlsOwner) {
    this.#owner = owner;
  }

  /** A task is being submitted. False if its call was aborted already: it must not be sent. */
  attach(task: Task): boolean {
    const control = task.control;
    if (control === undefined) return true;
    if (control.aborted) return false;
    control.attached(task);
    return true;
  }

  /** The task settled (whatever ended it). */
  released(task: Task): void {
    task.control?.released(task);
    if (task.timeoutGroup !== undefined) this.#groups.remove(task);
    if (this.#timeouts.size === 0) return;
    const timer = this.#timeouts.get(task);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#timeouts.delete(task);
    }
  }

  /** Its thread reported the task's end (it may have been settled before, by an abort). */
  ended(task: Task): void {
    const grace = this.#graces.get(task);
    if (grace !== undefined) {
      clearTimeout(grace.timer);
      this.#graces.delete(task);
      this.#owner.graceEnded(grace.thread);
    }
  }

  /**
   * A task with a time limit was sent to a thread (again, if it was taken back), at `now`
   * (`performance.now()`).
   */
  sent(task: Task, now: number): void {
    if (task.timeoutGroup !== undefined) return;
    if (this.#timeouts.size > 0 && this.#timeouts.has(task)) return;
    this.#groups.add(task, (task.control as CallControl).timeout, now);
  }

  /** Its carrier reports that the task started at `at` (`Date.now()`): its limit counts from there. */
  started(task: Task, at: number): void {
    const limit = task.control?.timeout ?? Number.POSITIVE_INFINITY;
    if (limit === Number.POSITIVE_INFINITY || task.state === TaskState.Settled) return;
    this.#groups.remove(task);
    clearTimeout(this.#timeouts.get(task));
    this.#endIn(task, Math.max(0, at + limit - Date.now()), limit);
  }

  /** These tasks were sent at least `limit` ms ago: has the time of any run out? */
  #look(tasks: readonly Task[], limit: number): void {
    const now = Date.now();
    const sinceOrigin = performance.now();
    const expired: Task[] = [];
    for (const task of tasks) {
      // Taken back into the pool's queue: it is looked at again once sent.
      if (task.state !== TaskState.Dispatched) continue;
      const at = (task.thread as ThreadHandle).startTime(task);
      // Not started (or its start is reported as it happens, or it has just ended and its result
      // is on the way): its whole limit may still be left.
      if (at === 0) this.#groups.add(task, limit, sinceOrigin);
      else if (at + limit <= now) expired.push(task);
      else this.#endIn(task, at + limit - now, limit);
    }
    for (const task of expired) this.abort([task], timedOut(task, limit), false);
  }

  #endIn(task: Task, ms: number, limit: number): void {
    // Not unref'd: on the main thread (threads: 0) a task awaiting its signal holds nothing else.
    const timer = setTimeout(() => {
      this.#timeouts.delete(task);
      this.abort([task], timedOut(task, limit), false);
    }, ms);
    this.#timeouts.set(task, timer);
  }

  /**
   * Aborts these tasks with `reason`: see the header. `cancelled`: by their signal (the stats
   * count them cancelled); false for a timeout (they count as failed).
   */
  abort(tasks: readonly Task[], reason: unknown, cancelled = true): void {
    this.#owner.step(() => {
      for (const task of tasks) this.#abortOne(task, reason, cancelled);
      this.#owner.pumpSoon();
    });
  }

  #abortOne(task: Task, reason: unknown, cancelled: boolean): void {
    if (task.state === TaskState.Settled) return;
    const owner = this.#owner;
    if (task.state === TaskState.Dispatched) {
      const thread = task.thread as ThreadHandle;
      if (thread.hasStarted(task) || !owner.withdraw(task)) {
        if (thread.hasStarted(task)) this.#abortRunning(thread, task, reason, cancelled);
        // The thread is handling an earlier take-back at this very moment: try again shortly.
        else setImmediate(() => this.abort([task], reason, cancelled));
        return;
      }
    } else if (!owner.withdraw(task)) return;
    owner.reject(task, reason, cancelled);
  }

  #abortRunning(thread: ThreadHandle, task: Task, reason: unknown, cancelled: boolean): void {
    const owner = this.#owner;
    owner.reject(task, reason, cancelled);
    thread.abortTask(task, reason);
    if (!owner.isolated || this.#graces.has(task)) return;
    const grace = owner.options.abortGrace;
    if (grace === Number.POSITIVE_INFINITY) return;
    const timer = setTimeout(() => {
      this.#graces.delete(task);
      owner.step(() => {
        owner.graceEnded(thread);
        // Ended meanwhile, or its thread is going anyway.
        if (thread.outstanding.get(task.seq) !== task || thread.state === ThreadState.Stopping) {
          return;
        }
        owner.takeBackBeforeStop(thread);
        owner.pumpSoon();
        thread.exitReason = 'abort';
        thread.exitCause = new Error(
          `Task ${nameOf(task)} was aborted (${describeReason(reason)}) and did not stop within ` +
            `abortGrace (${grace} ms): its thread ${thread.name} was stopped`,
          { cause: reason },
        );
        void thread.stop(false);
      });
    }, grace);
    // Only worker threads get a grace, and a thread running a task keeps the process alive.
    timer.unref();
    this.#graces.set(task, { timer, thread });
    owner.graceBegan(thread);
  }
}

interface Grace {
  readonly timer: NodeJS.Timeout;
  readonly thread: ThreadHandle;
}

function nameOf(task: Task): string {
  const def = task.record.def;
  const name = def.kind === 'inline' ? def.name : def.exportName;
  return name ? `"${name}"` : '(anonymous function)';
}

/** The reason in words; never throws, whatever the caller aborted with (a Proxy, a getter…). */
function describeReason(reason: unknown): string {
  try {
    if (reason !== null && typeof reason === 'object' && 'message' in reason) {
      const error = reason as { name?: unknown; message?: unknown };
      return `${String(error.name)}: ${String(error.message)}`;
    }
    return String(reason);
  } catch {
    return 'a reason that cannot be shown';
  }
}

function timedOut(task: Task, limit: number): TimeoutError {
  return new TimeoutError(`Task ${nameOf(task)} ran longer than its timeout of ${limit} ms`);
}
