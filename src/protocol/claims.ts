/**
 * Who may start a task that was sent to a thread but has not started yet: the thread, or the
 * main thread taking it back to run elsewhere. Decided with one compare-and-swap on a word both
 * sides share, so a task is never run twice and never lost, even while the thread is stuck in a
 * long synchronous task and cannot read messages.
 *
 * Word CLAIMED holds the seq of the last task the thread started. The thread starts task `s` only
 * by CAS(CLAIMED, lastClaimed, s). The main thread takes back every unstarted task by first
 * storing the highest seq it has sent in REVOKED_UP_TO, then CAS(CLAIMED, c, c | REVOKE_FLAG):
 * after that CAS succeeds every task with seq > c is the main thread's again. The worker's next
 * CAS fails, it sees the flag, drops every task with seq <= REVOKED_UP_TO and clears the flag.
 */
export const CLAIMED = 0;
export const REVOKED_UP_TO = 1;
export const CONTROL_WORDS = 2;
export const REVOKE_FLAG = 1 << 30;
/** A thread is retired before its seqs reach the flag bit. */
export const MAX_SEQ = REVOKE_FLAG - 1024;

export function createControl(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT);
}
