/**
 * The running tasks of a thread that were issued with a `signal`, a `timeout` or an `onProgress`:
 * each gets an AbortController once it asks for `signal()`, and its `progress()` values are
 * serialized here, in the task, so that one that cannot be cloned throws there. Tasks issued
 * without any of these get the shared UNCONTROLLED context and cost nothing here.
 */
import { ABORT_REQUESTED } from '../protocol/control-words.js';
import { TaskFlags } from '../protocol/messages.js';
import { abortAsTask, type TaskContext, type TaskContextSlot } from '../run/task-context.js';
import { nodeV8 } from './node-v8.js';

// Captured once: task code may replace globals of its thread.
const { load } = Atomics;

/** What the controlled tasks need of the thread's runtime. */
export interface ControlledTasksHost {
  /** The words shared with the main thread (see protocol/control-words.ts). */
  readonly words: Int32Array;
  /** Takes the messages waiting on the port in now, until `signal` has aborted. */
  takeMessagesNow(signal: AbortSignal): void;
  /** Sends a progress value of task `seq`, serialized, ahead of its result. */
  sendProgress(seq: number, bytes: Uint8Array): void;
}

/**
 * One running controlled task, and its context (what `signal()` and `progress()` of spindle/task
 * reach while it runs): one object of a class, where an object literal with a getter and two
 * closures per task cost a timed or signalled call more than the rest of the thread's work. Its
 * AbortController is made only when the task asks for its `signal()`: making one costs more than
 * a whole round trip, and most tasks never ask. An abort that comes first is kept, and the signal
 * is made already aborted.
 */
class RunningTask implements TaskContext {
  readonly #seq: number;
  readonly #host: ControlledTasksHost;
  /** Whether its caller listens to progress (TaskFlags.Progress). */
  readonly #reports: boolean;
  #controller: AbortController | undefined = undefined;
  aborted = false;
  reason: unknown = undefined;
  /** It has ended: progress() may no longer be called. */
  ended = false;

  constructor(seq: number, host: ControlledTasksHost, reports: boolean) {
    this.#seq = seq;
    this.#host = host;
    this.#reports = reports;
  }

  get controller(): AbortController {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller;
  }

  /** Whether the task has asked for its signal (then its listeners must hear of an abort). */
  get watched(): boolean {
    return this.#controller !== undefined;
  }

  get signal(): AbortSignal {
    const signal = this.controller.signal;
    // A task in a long synchronous stretch reads no message: look for its abort now.
    if (!signal.aborted && load(this.#host.words, ABORT_REQUESTED) === this.#seq) {
      this.#host.takeMessagesNow(signal);
    }
    return signal;
  }

  progress(value: unknown): void {
    if (this.ended) {
      throw new Error("progress() of 'spindle/task' was called after its task settled");
    }
    if (!this.#reports) return;
    let bytes: Uint8Array;
    try {
      bytes = nodeV8().serialize(value);
    } catch (error) {
      throw new DOMException(
        `progress() was given a value that cannot be cloned to the main thread: ${(error as Error)?.message}`,
        'DataCloneError',
      );
    }
    this.#host.sendProgress(this.#seq, bytes);
  }
}

export class ControlledTasks {
  readonly #host: ControlledTasksHost;
  readonly #running = new Map<number, RunningTask>();
  readonly #slot: TaskContextSlot;

  constructor(host: ControlledTasksHost, slot: TaskContextSlot) {
    this.#host = host;
    this.#slot = slot;
  }

  /** The context of task `seq`, starting now, with its TaskFlags. */
  context(seq: number, flags: number): TaskContext {
    const task = new RunningTask(seq, this.#host, (flags & TaskFlags.Progress) !== 0);
    this.#running.set(seq, task);
    return task;
  }

  /** Whether a controlled task is running on this thread. */
  get any(): boolean {
    return this.#running.size > 0;
  }

  /** The main thread aborted the running task `seq`: its signal aborts (listeners run now). */
  abort(seq: number, reason: unknown): void {
    const task = this.#running.get(seq);
    if (task === undefined || task.aborted) return;
    task.aborted = true;
    task.reason = reason;
    if (task.watched) abortAsTask(this.#slot, task, task.controller, reason);
  }

  /** Task `seq` ended: returns whether it had been aborted. */
  ended(seq: number): boolean {
    if (this.#running.size === 0) return false;
    const task = this.#running.get(seq);
    if (task === undefined) return false;
    this.#running.delete(seq);
    task.ended = true;
    return task.aborted;
  }
}
