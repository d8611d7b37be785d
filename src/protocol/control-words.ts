/**
 * The words a worker thread and the main thread share (one small SharedArrayBuffer per thread):
 * what each side must see of the other without waiting for a message, since a thread stuck in a
 * long synchronous task reads none. Who writes each word, and why, is said beside it; the
 * protocols built on them are in claims.ts (who starts a task), delivery.ts (which messages were
 * taken) and activity.ts (how many threads are awake).
 */

/** The seq of the last task the thread started, with REVOKE_FLAG set by a take-back (claims.ts). */
export const CLAIMED = 0;
/** The highest seq taken back and not yet seen by the thread, 0 once seen (claims.ts). */
export const REVOKED_UP_TO = 1;
/**
 * How many messages the main thread has posted to the thread, counted after each post. A thread
 * that has just run out of work watches this word for a moment before it sleeps (see
 * worker/runtime.ts): waking a sleeping thread costs far more than the round trip itself.
 */
export const POSTED = 2;
/**
 * 1 while the pool still had tasks waiting (or an imap input being read) when it last sent this
 * thread a batch: the main thread is busy feeding the threads, and a thread that runs out of work
 * sleeps rather than watch (its next batch comes when the main thread gets to it, and watching
 * would only take a core from it).
 */
export const BACKLOG = 3;
/** 1 while the thread counts itself in the process-wide awake count (see activity.ts). */
export const COUNTED_AWAKE = 4;
/**
 * The seq of the task whose synchronous code the thread is running now (0: none). The main thread
 * samples it: the same seq seen twice a few milliseconds apart means the thread is stuck in a
 * long synchronous task, and the tasks it holds and has not started should move elsewhere.
 */
export const RUNNING = 5;
/**
 * 1 when the last task the thread ran synchronously took a millisecond or more: the task it is in
 * now is likely as long, so what it holds and has not started may as well move now (and it is
 * worth sending it its next task ahead, see engine/dispatch-policy.ts).
 */
export const LAST_TASK_LONG = 6;
/**
 * How many messages the thread has taken from its port, counted by the thread: the main thread
 * forgets what it kept to re-send a message once it is taken. A message the thread could not
 * deserialize counts only once the main thread has answered for it (see delivery.ts).
 */
export const TAKEN = 7;
/** The same count the other way: messages of the thread the main thread has taken. */
export const DELIVERED = 8;
/**
 * The seq of the running task the main thread last aborted, written right after its `abort`
 * message is posted. A task stuck in synchronous code reads no message, but it can call
 * `signal()`: seeing its own seq here, the thread takes the message from its port at once, and the
 * signal the task gets back has aborted (see worker/runtime.ts).
 */
export const ABORT_REQUESTED = 9;
export const CONTROL_WORDS = 10;

export function createControl(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT);
}
