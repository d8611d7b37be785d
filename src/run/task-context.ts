/**
 * Which task is running, as the task-side API (`spindle/task`: `signal()`, `progress()`) finds
 * it: the same on a worker thread and on the main thread (`threads: 0`).
 *
 * The API and the runtime that runs tasks are bundled apart (the worker entry is one file, the
 * user's `import 'spindle/task'` another), so a module-level variable would exist twice in one
 * isolate. They meet instead in one slot on `globalThis` under a registered symbol, which every
 * copy of spindle in the isolate finds: `sync` names the task whose synchronous code runs now,
 * and `storage` (an AsyncLocalStorage, made when first needed) follows each asynchronous task
 * across its awaits, so that tasks running side by side on one thread each see their own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Mode } from '../protocol/outcomes.js';
import { type ExecutionSink, execute } from './execution.js';

type AnyFunction = (...args: unknown[]) => unknown;

/** What a running task can reach through `spindle/task`. */
export interface TaskContext {
  /** Aborted when the caller's signal aborts or the task's timeout passes. */
  readonly signal: AbortSignal;
  /** Sends a value to the caller's `onProgress` (a no-op when the caller gave none). */
  progress(value: unknown): void;
}

export interface TaskContextSlot {
  /** The task whose synchronous code is running now. */
  sync: TaskContext | undefined;
  /** Follows asynchronous tasks across their awaits; made by the first task that needs it. */
  storage: AsyncLocalStorage<TaskContext> | undefined;
  /** The task API was loaded in this isolate: every task then runs with its context stored. */
  apiLoaded: boolean;
}

/** Versioned: a future layout gets a new key rather than confusing an older copy. */
const SLOT_KEY = Symbol.for('spindle.task-context.v1');

export function taskContextSlot(): TaskContextSlot {
  const holder = globalThis as unknown as Record<symbol, TaskContextSlot | undefined>;
  let slot = holder[SLOT_KEY];
  if (slot === undefined) {
    slot = { sync: undefined, storage: undefined, apiLoaded: false };
    Object.defineProperty(holder, SLOT_KEY, { value: slot, enumerable: false });
  }
  return slot;
}

/**
 * Stands for the context of a task issued without `signal`, `timeout` or `onProgress`; each such
 * task that can ask gets one of its own (see uncontrolledContext).
 */
export const UNCONTROLLED: TaskContext = Object.freeze({
  get signal(): AbortSignal {
    return new AbortController().signal;
  },
  progress(): void {},
});

/**
 * A signal that never aborts, made when the task first asks, and the task's own: one shared by
 * every task would keep the listeners each task leaves on it (as `fetch()` does) for ever.
 */
function uncontrolledContext(): TaskContext {
  let own: AbortSignal | undefined;
  return {
    get signal(): AbortSignal {
      own ??= new AbortController().signal;
      return own;
    },
    progress(): void {},
  };
}

/**
 * Runs a task (see execution.ts) as the task of `context`. With `stored`, the context follows the
 * task's asynchronous continuations too; once the isolate has the storage, every task is run in
 * it, so that none inherits the context of the task whose continuation happened to schedule the
 * runtime's next turn.
 */
export function executeInContext(
  slot: TaskContextSlot,
  context: TaskContext,
  stored: boolean,
  fn: AnyFunction,
  mode: Mode,
  payload: unknown,
  seq: number,
  sink: ExecutionSink,
): void {
  const own = context === UNCONTROLLED ? uncontrolledContext() : context;
  const previous = slot.sync;
  slot.sync = own;
  try {
    if (stored || slot.storage !== undefined) {
      slot.storage ??= new AsyncLocalStorage<TaskContext>();
      slot.storage.run(own, execute, fn, mode, payload, seq, sink);
    } else execute(fn, mode, payload, seq, sink);
  } finally {
    slot.sync = previous;
  }
}

/**
 * Aborts a running task's controller as code of that task: the listeners on its signal run now,
 * outside the task's own code, and may call `signal()` (the usual `reject(signal().reason)`).
 */
export function abortAsTask(
  slot: TaskContextSlot,
  context: TaskContext,
  controller: AbortController,
  reason: unknown,
): void {
  const previous = slot.sync;
  slot.sync = context;
  try {
    if (slot.storage !== undefined) slot.storage.run(context, () => controller.abort(reason));
    else controller.abort(reason);
  } finally {
    slot.sync = previous;
  }
}

const taskApiNamed = new WeakMap<AnyFunction, boolean>();

/**
 * Whether the function's source names `spindle/task`: its first task may import it after an
 * await, and must then find its context there (checked once per function).
 */
export function namesTaskApi(fn: AnyFunction): boolean {
  let named = taskApiNamed.get(fn);
  if (named === undefined) {
    named = Function.prototype.toString.call(fn).includes('spindle/task');
    taskApiNamed.set(fn, named);
  }
  return named;
}

/** The running task's context, or undefined outside any task. */
export function currentContext(slot: TaskContextSlot): TaskContext | undefined {
  return slot.sync ?? slot.storage?.getStore();
}
