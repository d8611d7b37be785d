/**
 * The events a pool (and an executor) emits about its work and its threads, and when: 'drain'
 * and 'idle' are edges of the pool's state, found at the end of each engine step; thread events
 * are told as carriers start and exit. None is emitted in the middle of a step: each is announced
 * through deliveries.ts, after the settlements of the same step, so a listener may call anything
 * (issue more, terminate), and one that throws is reported like a throwing callback.
 */
import type { ThreadExitReason } from '../threads/exit-reason.js';

/**
 * What a `'threadStart'` listener receives.
 *
 * @example
 * pool.on('threadStart', ({ name }) => console.log(`${name} started`));
 */
export interface ThreadStartEvent {
  /** The thread's name, `${name}-${i}` (see the pool's `name` option). */
  name: string;
}

/**
 * What a `'threadExit'` listener receives.
 *
 * @example
 * pool.on('threadExit', ({ name, exitCode, reason }) => {
 *   if (reason === 'crash') console.warn(`${name} died with code ${exitCode}`);
 * });
 */
export interface ThreadExitEvent {
  name: string;
  /** The thread's exit code (1 for a thread stopped by terminate; 0 with `threads: 0`). */
  exitCode: number;
  /** Why it exited. */
  reason: ThreadExitReason;
}

/**
 * The work and thread events both the pool and the executor emit.
 *
 * - `'drain'`: the queue emptied: every call issued so far has started (none waits, in the pool's
 *   queue or sent ahead to a busy thread). Emitted once each time the number of queued calls falls
 *   to 0, as the main thread sees it: when a result comes in, or when the pool looks at its
 *   threads while tasks wait (within ~64 ms).
 * - `'idle'`: nothing queued or running: every call issued has settled. Emitted once each time
 *   that becomes true, after the last settlement's callbacks (and not if one of them issued more
 *   work). A new pool is idle without an event. 'drain' comes first when both happen at once.
 * - `'threadStart'`: a thread was started (threads start lazily, when work needs them).
 * - `'threadExit'`: a thread exited, with its name, exit code and reason. Every started thread
 *   emits it once.
 *
 * @example
 * pool.on('idle', () => console.log('all done for now', pool.stats().completed));
 */
export interface WorkEvents {
  drain: [];
  idle: [];
  threadStart: [event: ThreadStartEvent];
  threadExit: [event: ThreadExitEvent];
}

/** Emits one event on the pool or executor (a listener's throw is the caller's to report). */
export type EmitWorkEvent = <K extends keyof WorkEvents>(name: K, ...args: WorkEvents[K]) => void;

/**
 * Finds the 'drain' and 'idle' edges. Both start true (a new pool is idle) and fire on the
 * transition back to true.
 */
export class WorkEdges {
  #drained = true;
  #idle = true;

  /** Something was issued: the pool is neither drained nor idle until seen so. */
  issued(): void {
    this.#drained = false;
    this.#idle = false;
  }

  /**
   * At the end of a step: `waiting()` calls not started, `pending` calls not settled. Returns
   * which events to announce.
   */
  check(waiting: () => number, pending: number): { drain: boolean; idle: boolean } | null {
    if (this.#idle) return null;
    const drain = !this.#drained && (pending === 0 || waiting() === 0);
    if (drain) this.#drained = true;
    const idle = pending === 0;
    if (idle) this.#idle = true;
    return drain || idle ? { drain, idle } : null;
  }
}
