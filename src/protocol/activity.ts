import { COUNTED_AWAKE } from './control-words.js';

/**
 * One word shared by every worker thread of the process: how many of them are awake, running
 * their task loop or watching for their next message (see worker/runtime.ts). A thread that runs
 * out of work watches for the next message, rather than sleep, only while that leaves a core to
 * the main thread: on a busy machine the watching would slow down the main thread, which is then
 * the one producing the work.
 */
export const AWAKE = 0;

// Captured once: in a thread, task code may replace globals (Atomics included).
const { add, exchange, load, store, sub } = Atomics;

let shared: SharedArrayBuffer | undefined;

/** The process's activity word (created once, on the main thread). */
export function processActivity(): SharedArrayBuffer {
  shared ??= new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  return shared;
}

/** A thread wakes up: it counts itself (its own control word says so, see forgetThread). */
export function countAwake(activity: Int32Array, control: Int32Array): void {
  store(control, COUNTED_AWAKE, 1);
  add(activity, AWAKE, 1);
}

/** A thread goes back to sleep. */
export function countAsleep(activity: Int32Array, control: Int32Array): void {
  sub(activity, AWAKE, 1);
  store(control, COUNTED_AWAKE, 0);
}

/** Other threads awake besides the caller, who counts itself. */
export function othersAwake(activity: Int32Array): number {
  return Math.max(0, load(activity, AWAKE) - 1);
}

/**
 * On the main thread, once a thread has exited: a thread stopped while awake (terminated in
 * the middle of a task, or gone with process.exit()) never counted itself out; do it for it, or
 * every other thread of the process would think a core taken for good.
 */
export function forgetThread(control: Int32Array): void {
  if (exchange(control, COUNTED_AWAKE, 0) === 1) {
    sub(new Int32Array(processActivity()), AWAKE, 1);
  }
}
