/**
 * One word shared by every worker thread of the process: how many of them are awake, running
 * their task loop or watching for their next message (see worker/runtime.ts). A thread that runs
 * out of work watches for the next message, rather than sleep, only while that leaves a core to
 * the main thread: on a busy machine the watching would slow down the main thread, which is then
 * the one producing the work.
 */
export const AWAKE = 0;

let shared: SharedArrayBuffer | undefined;

/** The process's activity word (created once, on the main thread). */
export function processActivity(): SharedArrayBuffer {
  shared ??= new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  return shared;
}
