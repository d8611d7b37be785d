/**
 * What a child process of a process pool is told, besides the messages threads get: its boot data
 * (the first message on its IPC channel), and the one message only a process sends, its last
 * words when an error escaped its tasks.
 */
import type { WireError } from './errors.js';
import type { ThreadBootData } from './messages.js';

/**
 * A thread's boot data without what only threads have: no memory is shared with a process (its
 * control words are its own) and its channel is the IPC channel it was forked with.
 */
export type ProcessBootData = Omit<ThreadBootData, 'port' | 'control'>;

/** Child → parent: an error escaped a task (a thread's 'error' event); the process exits with 1. */
export interface FatalMessage {
  t: 'fatal';
  error: WireError;
}
