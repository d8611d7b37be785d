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
 * ```ts
 * import { ThreadPool } from 'spindle';
 * await using pool = new ThreadPool({ name: 'resize' });
 * pool.on('threadStart', ({ name }) => console.log(`${name} started`)); // resize-0 started
 * await pool.apply(() => 1);
 * ```
 */
export interface ThreadStartEvent {
  /** The thread's name, `${name}-${i}` (see the pool's `name` option). */
  name: string;
}

/**
 * What a `'threadExit'` listener receives.
 *
 * @example
 * ```ts
 * import { ThreadPool } from 'spindle';
 * await using pool = new ThreadPool();
 * pool.on('threadExit', ({ name, exitCode, reason }) => {
 *   if (reason === 'crash') console.warn(`${name} died with code ${exitCode}`);
 * });
 * ```
 */
export interface ThreadExitEvent {
  /** The thread's name, `${name}-${i}` (see the pool's `name` option). */
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
 * ```ts
 * import { ThreadPool } from 'spindle';
 * await using pool = new ThreadPool();
 * pool.on('idle', () => console.log('all done for now', pool.stats().completed));
 * await pool.map((x: number) => x * 2, [1, 2, 3]);
 * ```
 */
export interface WorkEvents {
  /** Every call issued so far has started: none waits. */
  drain: [];
  /** Nothing queued or running: every call issued has settled. */
  idle: [];
  /** A thread started, with its name. */
  threadStart: [event: ThreadStartEvent];
  /** A thread exited, with its name, exit code and reason. */
  threadExit: [event: ThreadExitEvent];
}

/** The pool or executor the engine tells its events to. */
export interface WorkEventSink {
  /** Emits one event (a listener's throw is the engine's to report). */
  emit<K extends keyof WorkEvents>(name: K, ...args: WorkEvents[K]): void;
  /** Whether anyone listens to it: an event nobody hears is not announced at all. */
  listens(name: keyof WorkEvents): boolean;
}

/** The sink of an engine whose owner takes no events. */
export const NO_EVENTS: WorkEventSink = { emit: () => {}, listens: () => false };

const DRAIN = 1;
const IDLE = 2;

/**
 * Finds the 'drain' and 'idle' edges. Both start true (a new pool is idle) and fire on the
 * transition back to true.
 */
class WorkEdges {
  #drained = true;
  #idle = true;

  /** Something was issued: the pool is neither drained nor idle until seen so. */
  issued(): void {
    this.#drained = false;
    this.#idle = false;
  }

  /**
   * At the end of a step: `pending` calls not settled, `queue.waiting()` tasks not started.
   * Returns the edges crossed: DRAIN, IDLE, both (DRAIN | IDLE) or none (0).
   */
  check(queue: { waiting(): number }, pending: number): number {
    if (this.#idle) return 0;
    let edges = 0;
    if (!this.#drained && (pending === 0 || queue.waiting() === 0)) {
      this.#drained = true;
      edges |= DRAIN;
    }
    if (pending === 0) {
      this.#idle = true;
      edges |= IDLE;
    }
    return edges;
  }
}

/** Where announcements wait for the end of the engine's step (deliveries.ts). */
interface Announcements {
  announce(notice: () => void): void;
}

/**
 * The engine's side of the events: it finds the edges at the end of each step and announces, after
 * the step, each event someone listens to; a listener's throw goes to `reportError`.
 */
export class WorkAnnouncer {
  readonly #edges = new WorkEdges();
  readonly #sink: WorkEventSink;
  readonly #announcements: Announcements;
  readonly #reportError: (error: unknown) => void;

  constructor(
    sink: WorkEventSink,
    announcements: Announcements,
    reportError: (error: unknown) => void,
  ) {
    this.#sink = sink;
    this.#announcements = announcements;
    this.#reportError = reportError;
  }

  /** A call was issued: the pool is neither drained nor idle until seen so. */
  issued(): void {
    this.#edges.issued();
  }

  threadStarted(name: string): void {
    if (this.#sink.listens('threadStart')) {
      this.#announcements.announce(() => this.#emit('threadStart', { name }));
    }
  }

  threadExited(event: ThreadExitEvent): void {
    if (this.#sink.listens('threadExit')) {
      this.#announcements.announce(() => this.#emit('threadExit', event));
    }
  }

  /** At the end of a step: `pending()` calls not settled, `queue.waiting()` tasks not started. */
  endOfStep(queue: { waiting(): number }, pending: () => number): void {
    const edges = this.#edges.check(queue, pending());
    if (edges === 0) return;
    if (edges & DRAIN && this.#sink.listens('drain')) {
      this.#announcements.announce(() => this.#emit('drain'));
    }
    if (edges & IDLE && this.#sink.listens('idle')) {
      // Not if a callback of this step's settlements issued more work meanwhile.
      this.#announcements.announce(() => {
        if (pending() === 0) this.#emit('idle');
      });
    }
  }

  #emit<K extends keyof WorkEvents>(name: K, ...args: WorkEvents[K]): void {
    try {
      this.#sink.emit(name, ...args);
    } catch (error) {
      this.#reportError(error);
    }
  }
}
