/**
 * What one issuing call asked for its tasks besides running them: an AbortSignal, a running-time
 * limit, a progress callback. One per call, shared by its tasks (a map's chunks, an imap's chunks
 * as they are read). A signal has one listener however many calls in flight use it (adding and
 * removing an EventTarget listener costs time in proportion to the listeners it has, and more
 * than ten earn the user a warning), removed as soon as no call in flight uses it: a signal
 * reused for 100k calls holds none of them once they have settled.
 */
import { type Job, SETTLE, type Task } from '../engine/task.js';
import { type Outcome, TaskFlags } from '../protocol/messages.js';

/** What a call's control needs of the engine. */
export interface Aborter {
  /** Aborts these tasks with `reason` (see control/controls.ts). */
  abort(tasks: readonly Task[], reason: unknown): void;
}

/** The calls in flight that use a signal, and its one listener. */
interface SignalWatch {
  calls: Set<CallControl>;
  listener: () => void;
}

const watches = new WeakMap<AbortSignal, SignalWatch>();

function watch(signal: AbortSignal, call: CallControl, aborted: (call: CallControl) => void): void {
  let watch = watches.get(signal);
  if (watch === undefined) {
    const calls = new Set<CallControl>();
    const listener = (): void => {
      watches.delete(signal);
      for (const one of calls) aborted(one);
    };
    watch = { calls, listener };
    watches.set(signal, watch);
    signal.addEventListener('abort', listener, { once: true });
  }
  watch.calls.add(call);
}

function unwatch(signal: AbortSignal, call: CallControl): void {
  const watch = watches.get(signal);
  if (watch === undefined || !watch.calls.delete(call) || watch.calls.size > 0) return;
  watches.delete(signal);
  signal.removeEventListener('abort', watch.listener);
}

export interface ControlSettings {
  signal: AbortSignal | undefined;
  /** Milliseconds of running time per task; Infinity for none. */
  timeout: number;
  onProgress: ((value: unknown) => void) | undefined;
}

/** The signal of a call in flight aborted (a static block gives it access to the call's fields). */
let abortCall: (call: CallControl) => void;

/** The job progress values are delivered to (see engine/deliveries.ts): the caller's onProgress. */
export class CallControl implements Job {
  readonly signal: AbortSignal | undefined;
  readonly timeout: number;
  readonly onProgress: ((value: unknown) => void) | undefined;
  /** What every task of the call asks of its thread (protocol TaskFlags). */
  readonly flags: number;
  /**
   * Called when the signal aborts, before the call's tasks are aborted: a call that reads its
   * input lazily stops reading, and one that has no task yet fails.
   */
  onAbort: ((reason: unknown) => void) | undefined = undefined;
  /**
   * The call's tasks not settled yet: the one task of a single call as it is, a Set only once a
   * call (a map) has more (a Set per call would be most of what a signal costs a small task).
   */
  #tasks: Task | Set<Task> | undefined = undefined;
  readonly #engine: Aborter;
  /** No more tasks will come: the listener goes once the last one settles. */
  #sealed = false;
  #listening = false;

  constructor(engine: Aborter, settings: ControlSettings) {
    this.#engine = engine;
    this.signal = settings.signal;
    this.timeout = settings.timeout;
    this.onProgress = settings.onProgress;
    const abortable =
      settings.signal !== undefined || settings.timeout !== Number.POSITIVE_INFINITY;
    this.flags =
      (abortable ? TaskFlags.Abortable : 0) |
      (settings.timeout !== Number.POSITIVE_INFINITY ? TaskFlags.Timed : 0) |
      (settings.onProgress !== undefined ? TaskFlags.Progress : 0);
    if (settings.signal !== undefined && !settings.signal.aborted) {
      watch(settings.signal, this, abortCall);
      this.#listening = true;
    }
  }

  /** Whether the call's signal has aborted. */
  get aborted(): boolean {
    return this.signal?.aborted === true;
  }

  /** The signal's reason (what the call's aborted tasks reject with). */
  get reason(): unknown {
    return this.signal?.reason;
  }

  /** Marks a new task as one of this call's. */
  adopt(task: Task): void {
    task.control = this;
    task.flags = this.flags;
  }

  /** The task was submitted to the engine. */
  attached(task: Task): void {
    const tasks = this.#tasks;
    if (tasks === undefined) this.#tasks = task;
    else if (tasks instanceof Set) tasks.add(task);
    else if (tasks !== task) this.#tasks = new Set([tasks, task]);
  }

  /** The task settled. */
  released(task: Task): void {
    const tasks = this.#tasks;
    if (tasks === task) this.#tasks = undefined;
    else if (tasks instanceof Set && tasks.delete(task) && tasks.size === 0)
      this.#tasks = undefined;
    if (this.#sealed && this.#tasks === undefined) this.#stopListening();
  }

  /** The call will submit no more tasks. */
  seal(): void {
    this.#sealed = true;
    if (this.#tasks === undefined) this.#stopListening();
  }

  /** @internal A progress value of one of its tasks (delivered after the engine's step). */
  [SETTLE](_task: Task, _outcome: Outcome, value: unknown): void {
    this.onProgress?.(value);
  }

  static {
    abortCall = (call) => {
      call.#listening = false;
      const reason = call.reason;
      call.onAbort?.(reason);
      const tasks = call.#tasks;
      if (tasks instanceof Set) call.#engine.abort([...tasks], reason);
      else if (tasks !== undefined) call.#engine.abort([tasks], reason);
    };
  }

  #stopListening(): void {
    if (!this.#listening) return;
    this.#listening = false;
    unwatch(this.signal as AbortSignal, this);
  }
}
