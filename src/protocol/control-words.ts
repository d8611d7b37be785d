/**
 * The words a worker thread and the main thread share (one small SharedArrayBuffer per thread):
 * what each side must see of the other without waiting for a message, since a thread stuck in a
 * long synchronous task reads none. Who writes each word, and why, is said beside it; the
 * protocols built on them are in claims.ts (who starts a task) and delivery.ts (which messages were
 * taken).
 */

/** The seq of the last task the thread started, with REVOKE_FLAG set by a take-back (claims.ts). */
export const CLAIMED = 0;
/** The highest seq taken back and not yet seen by the thread, 0 once seen (claims.ts). */
export const REVOKED_UP_TO = 1;
/**
 * The seq of the task whose synchronous code the thread is running now (0: none). The main thread
 * samples it: the same seq seen twice a few milliseconds apart means the thread is stuck in a
 * long synchronous task, and the tasks it holds and has not started should move elsewhere.
 */
export const RUNNING = 2;
/**
 * 1 when the last task the thread ran synchronously took a millisecond or more: the task it is in
 * now is likely as long, so what it holds and has not started may as well move now (and it is
 * worth sending it its next task ahead, see engine/dispatch-policy.ts).
 */
export const LAST_TASK_LONG = 3;
/**
 * How many messages the thread has taken from its port, counted by the thread: the main thread
 * forgets what it kept to re-send a message once it is taken. A message the thread could not
 * deserialize counts only once the main thread has answered for it (see delivery.ts).
 */
export const TAKEN = 4;
/** The same count the other way: messages of the thread the main thread has taken. */
export const DELIVERED = 5;
/**
 * The seq of the running task the main thread last aborted, written right after its `abort`
 * message is posted. A task stuck in synchronous code reads no message, but it can call
 * `signal()`: seeing its own seq here, the thread takes the message from its port at once, and the
 * signal the task gets back has aborted (see worker/runtime.ts).
 */
export const ABORT_REQUESTED = 6;
/**
 * 1 while the pool's queue holds tasks, written by the main thread as it dispatches: a slot that
 * frees will soon get one of them, so the thread does not lend it to a helper of a running chunk
 * (see run/chunk-run.ts), which would make that task wait for the helper's item. (A child
 * process shares no words with the main thread: 0 there, and its free slots help.)
 */
export const MAIN_QUEUED = 7;
export const CONTROL_WORDS = 8;

export function createControl(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT);
}
