/**
 * The running tasks of a thread that were issued with a `signal`, a `timeout` or an `onProgress`:
 * each has an AbortController (its `signal()`), and its `progress()` values are serialized here,
 * in the task, so that one that cannot be cloned throws there. Tasks issued without any of these
 * get the shared UNCONTROLLED context and cost nothing here.
 */
import { serialize } from 'node:v8';
import { ABORT_REQUESTED } from '../protocol/control-words.js';
import { TaskFlags } from '../protocol/messages.js';
import { abortAsTask, type TaskContext, type TaskContextSlot } from '../run/task-context.js';

// Captured once: task code may replace globals of its thread.
const { load } = Atomics;
const serializeValue = serialize;

/** What the controlled tasks need of the thread's runtime. */
export interface ControlledTasksHost {
  /** The words shared with the main thread (see protocol/control-words.ts). */
  readonly words: Int32Array;
  /** Tells the main thread that task `seq` starts now (its running time counts from here). */
  started(seq: number): void;
  /** Takes the messages waiting on the port in now, until `signal` has aborted. */
  takeMessagesNow(signal: AbortSignal): void;
  /** Sends a progress value of task `seq`, serialized, ahead of its result. */
  sendProgress(seq: number, bytes: Uint8Array): void;
}

export class ControlledTasks {
  readonly #host: ControlledTasksHost;
  readonly #running = new Map<number, AbortController>();
  readonly #contexts = new Map<number, TaskContext>();
  readonly #slot: TaskContextSlot;

  constructor(host: ControlledTasksHost, slot: TaskContextSlot) {
    this.#host = host;
    this.#slot = slot;
  }

  /** The context of task `seq`, starting now, with its TaskFlags. */
  context(seq: number, flags: number): TaskContext {
    const controller = new AbortController();
    this.#running.set(seq, controller);
    // Before it runs: the main thread counts its running time from here, even if it blocks.
    if (flags & TaskFlags.Timed) this.#host.started(seq);
    const reports = (flags & TaskFlags.Progress) !== 0;
    const host = this.#host;
    const running = this.#running;
    const context: TaskContext = {
      get signal(): AbortSignal {
        // A task in a long synchronous stretch reads no message: look for its abort now.
        if (!controller.signal.aborted && load(host.words, ABORT_REQUESTED) === seq) {
          host.takeMessagesNow(controller.signal);
        }
        return controller.signal;
      },
      progress(value: unknown): void {
        if (!running.has(seq)) {
          throw new Error("progress() of 'spindle/task' was called after its task settled");
        }
        if (!reports) return;
        let bytes: Uint8Array;
        try {
          bytes = serializeValue(value);
        } catch (error) {
          throw new DOMException(
            `progress() was given a value that cannot be cloned to the main thread: ${(error as Error)?.message}`,
            'DataCloneError',
          );
        }
        host.sendProgress(seq, bytes);
      },
    };
    this.#contexts.set(seq, context);
    return context;
  }

  /** Whether a controlled task is running on this thread. */
  get any(): boolean {
    return this.#running.size > 0;
  }

  /** The main thread aborted the running task `seq`: its signal aborts (listeners run now). */
  abort(seq: number, reason: unknown): void {
    const controller = this.#running.get(seq);
    const context = this.#contexts.get(seq);
    if (controller && context) abortAsTask(this.#slot, context, controller, reason);
  }

  /** Task `seq` ended: returns whether it had been aborted. */
  ended(seq: number): boolean {
    if (this.#running.size === 0) return false;
    const controller = this.#running.get(seq);
    if (controller === undefined) return false;
    this.#running.delete(seq);
    this.#contexts.delete(seq);
    return controller.signal.aborted;
  }
}
