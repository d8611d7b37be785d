/**
 * Who may start a task that was sent to a thread but has not started yet: the thread, or the
 * main thread taking it back to run elsewhere. Decided with compare-and-swaps on two words both
 * sides share, so a task is never run twice and never lost, even while the thread is stuck in a
 * long synchronous task and cannot read messages.
 *
 * CLAIMED holds the seq of the last task the thread started; the thread starts task `s` only by
 * CAS(CLAIMED, lastClaimed, s). REVOKED_UP_TO holds the highest seq taken back and not yet seen by
 * the thread (0 once seen).
 *
 * - Take back (no revocation pending): store REVOKED_UP_TO = highest seq sent, then
 *   CAS(CLAIMED, c, c | REVOKE_FLAG). Once that succeeds, every task with seq > c is the main
 *   thread's: the thread's next claim fails.
 * - Take back more while the flag is still set (the thread is busy and has not seen it):
 *   CAS(REVOKED_UP_TO, previous, newHighest). It fails once the thread has begun to handle the
 *   flag, and then nothing more is taken until it is done.
 * - The thread, when a claim fails: r = exchange(REVOKED_UP_TO, 0), drop every task with
 *   seq <= r, then store CLAIMED = lastClaimed (clearing the flag).
 */
export const CLAIMED = 0;
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
 * worth sending it its next task ahead, see dispatch-policy.ts).
 */
export const LAST_TASK_LONG = 6;
/**
 * How many messages the thread has taken from its port, counted by the thread: the main thread
 * forgets what it kept to re-send a message once it is taken. A message the thread could not
 * deserialize counts only once the main thread has answered for it (see LostMessage).
 */
export const TAKEN = 7;
/** The same count the other way: messages of the thread the main thread has taken. */
export const DELIVERED = 8;
export const CONTROL_WORDS = 9;

/**
 * The receiving side's count of messages taken, as the sender may see it: never past a lost
 * message (`unanswered`, ascending) the sender has not answered for yet.
 */
export function takenWord(taken: number, unanswered: readonly number[]): number {
  return unanswered.length === 0 ? taken : ((unanswered[0] as number) - 1) | 0;
}
export const REVOKE_FLAG = 1 << 30;
/** A thread is retired before its seqs reach the flag bit. */
export const MAX_SEQ = REVOKE_FLAG - 1024;

export function createControl(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT);
}
