/**
 * `threads: 0`: tasks run on the main thread's event loop, with the same task slots and the same
 * API, like Python's `multiprocessing.dummy`. Functions are called as they are (closures work)
 * and values are passed by reference, not cloned.
 */

import { performance } from 'node:perf_hooks';
import type { Task } from '../engine/task.js';
import { type AnyFunction, moduleDefOf } from '../functions/functions.js';
import { type Outcome, TaskFlags } from '../protocol/messages.js';
import { type ExecutionSink, execute } from '../run/execution.js';
import { importExport } from '../run/import-export.js';
import {
  abortAsTask,
  executeInContext,
  namesTaskApi,
  type TaskContext,
  type TaskContextSlot,
  taskContextSlot,
  UNCONTROLLED,
} from '../run/task-context.js';
import { ThreadHandle, type ThreadReports, type ThreadSpec, ThreadState } from './thread-handle.js';

export class LocalThread extends ThreadHandle implements ExecutionSink {
  readonly #host: ThreadReports;
  readonly #waiting: Task[] = [];
  readonly #modules = new Map<AnyFunction, Promise<AnyFunction>>();
  #running = 0;
  #lastStarted = 0;
  #scheduled = false;
  #stopped = false;
  /** Note when each task starts, for the pool's timings. */
  readonly #timings: boolean;
  /** Where `spindle/task` finds the running task (see run/task-context.ts). */
  readonly #slot: TaskContextSlot = taskContextSlot();
  /** The running tasks that can be aborted or report progress, by seq, and a timed one's start. */
  readonly #controlled = new Map<
    number,
    { controller: AbortController; context: TaskContext; startedAt: number }
  >();

  constructor(
    host: ThreadReports,
    spec: ThreadSpec,
    initializer: AnyFunction | undefined,
    initargs: readonly unknown[],
    timings: boolean,
  ) {
    super(spec);
    this.#host = host;
    this.#timings = timings;
    // Start on a later turn, as a thread would, so the constructor never runs user code.
    setImmediate(() => void this.#initialize(initializer, initargs));
  }

  async #initialize(
    initializer: AnyFunction | undefined,
    initargs: readonly unknown[],
  ): Promise<void> {
    if (initializer) {
      try {
        const init = moduleDefOf(initializer) ? await this.#load(initializer) : initializer;
        await init(...initargs);
      } catch (error) {
        if (!this.#stopped) this.#host.threadInitFailed(this, error);
        return;
      }
    }
    if (!this.#stopped) this.#host.threadReady(this);
  }

  send(tasks: Task[]): void {
    for (const task of tasks) {
      this.track(task, this.nextSeq++);
      this.#waiting.push(task);
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // A macrotask, not a microtask: the caller's synchronous code finishes first, and a long run
    // of synchronous tasks still lets I/O in between batches.
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    let ran = 0;
    while (this.#waiting.length > 0 && this.#running < this.quota && !this.#stopped) {
      const task = this.#waiting.shift() as Task;
      if (task.thread !== this) continue; // Taken back meanwhile.
      this.#lastStarted = task.seq;
      this.#running++;
      if (this.#timings) task.startedAt = performance.now();
      const context = task.flags === 0 ? UNCONTROLLED : this.#control(task);
      if (moduleDefOf(task.fn)) {
        this.#load(task.fn).then(
          (fn) => this.#execute(fn, task, context),
          (error) => this.complete(task.seq, 1, error),
        );
      } else {
        this.#execute(task.fn, task, context);
      }
      if (++ran >= 1024) {
        this.#schedule();
        break;
      }
    }
  }

  #execute(fn: AnyFunction, task: Task, context: TaskContext): void {
    const stored = task.flags !== 0 || this.#slot.apiLoaded || namesTaskApi(fn);
    if (!stored && this.#slot.storage === undefined) {
      // Nothing in this process can ask for the context: the task runs as it is.
      execute(fn, task.mode, task.payload, task.seq, this);
      return;
    }
    executeInContext(this.#slot, context, stored, fn, task.mode, task.payload, task.seq, this);
  }

  /** The context of a task that can be aborted or reports progress. */
  #control(task: Task): TaskContext {
    const controller = new AbortController();
    const startedAt = task.flags & TaskFlags.Timed ? Date.now() : 0;
    const reports = (task.flags & TaskFlags.Progress) !== 0;
    const context: TaskContext = {
      signal: controller.signal,
      progress: (value) => {
        if (!this.#controlled.has(task.seq)) {
          throw new Error("progress() of 'spindle/task' was called after its task settled");
        }
        // Values are not copied on the main thread, as arguments and results are not.
        if (reports) this.#host.taskProgress(this, task, value);
      },
    };
    this.#controlled.set(task.seq, { controller, context, startedAt });
    return context;
  }

  /** On the main thread the task sees the very reason its caller aborted with. */
  abortTask(task: Task, reason: unknown): void {
    const running = this.#controlled.get(task.seq);
    if (running) abortAsTask(this.#slot, running.context, running.controller, reason);
  }

  #load(ref: AnyFunction): Promise<AnyFunction> {
    let loading = this.#modules.get(ref);
    if (!loading) {
      loading = importExport(moduleDefOf(ref)!);
      loading.catch(() => this.#modules.delete(ref));
      this.#modules.set(ref, loading);
    }
    return loading;
  }

  complete(seq: number, outcome: Outcome, value: unknown): void {
    this.#running--;
    if (this.#controlled.size !== 0) this.#controlled.delete(seq);
    if (this.#stopped) return;
    this.#host.threadResults(this, [seq, outcome, value]);
    if (this.#waiting.length > 0) this.#schedule();
  }

  wrapError(thrown: unknown): unknown {
    return thrown;
  }

  unstarted(): number {
    return this.#waiting.length;
  }

  running(): number {
    return this.#running;
  }

  /** Tasks here run on the main thread, which is never inside one while the engine looks. */
  syncRunning(): number {
    return 0;
  }

  lastTaskLong(): boolean {
    return false;
  }

  hasStarted(task: Task): boolean {
    return task.thread === this && task.seq <= this.#lastStarted;
  }

  override startTime(task: Task): number {
    if (task.thread !== this) return 0;
    return this.#controlled.get(task.seq)?.startedAt ?? 0;
  }

  revokeUnstarted(): Task[] {
    const taken = this.#waiting.splice(0);
    this.untrack(taken);
    return taken;
  }

  stop(): Promise<void> {
    this.#stopped = true;
    this.state = ThreadState.Stopping;
    this.#waiting.length = 0;
    const stopped = Promise.resolve();
    queueMicrotask(() => this.#host.threadExited(this, 0, undefined));
    return stopped;
  }
}
