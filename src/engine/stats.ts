/**
 * What `pool.stats()` tells: how many calls wait, run, completed, failed or were cancelled; how
 * many threads live, were started and were replaced; how busy the task slots were; and how long
 * tasks waited and ran. The engine reports to one StatsCollector per pool at the moments it
 * already handles (a task issued, settled or withdrawn; a carrier started or exited), so the
 * counts cost a few additions; what needs the carriers' state (running now) is read when asked.
 *
 * Counting unit: a call of the task function. `apply`, `applyAsync` and `submit` are one call
 * each; a map, starmap, imap or executor map is one call per item, whatever its chunksize (a chunk
 * of 10 items that all return counts 10 completed; one whose item 3 threw counts 9 completed and
 * 1 failed, as the items' own outcomes are). Timings (with the `timings` option) are per task as
 * it runs on a thread: a call, or a whole chunk of a map.
 *
 * Clocks: main-thread milliseconds (`performance.now()`). A worker thread reports when it started
 * each task on its monotonic clock (`process.hrtime`), which all threads of a process share; the
 * fixed offset between the two is taken once, here.
 */
import { performance } from 'node:perf_hooks';
import { type ChunkFailure, Mode, Outcome } from '../protocol/messages.js';
import type { ThreadExitReason } from '../threads/exit-reason.js';
import type { ThreadHandle } from '../threads/thread-handle.js';
import { DurationHistogram } from './histogram.js';
import { type Task, TaskState } from './task.js';

/**
 * A summary of durations, in milliseconds (recorded in whole microseconds; percentiles within
 * 1% of the value). All zeros while `count` is 0.
 *
 * @example
 * ```ts
 * import { ThreadPool } from 'spindle';
 * await using pool = new ThreadPool({ timings: true });
 * await pool.map((x: number) => x * x, [1, 2, 3]);
 * const { runTime } = pool.stats();
 * if (runTime) console.log(`${runTime.count} tasks, p99 ${runTime.p99.toFixed(1)} ms`);
 * ```
 */
export interface TimeSummary {
  /** How many durations were recorded (tasks, not items: a map chunk is one). */
  count: number;
  /** The shortest. */
  min: number;
  /** The arithmetic mean. */
  mean: number;
  /** The median. */
  p50: number;
  /** 90% of the durations are at most this. */
  p90: number;
  /** 99% of the durations are at most this. */
  p99: number;
  /** The longest. */
  max: number;
}

/**
 * The pool's threads (with `threads: 0`, its one carrier on the main thread).
 *
 * @example
 * ```ts
 * import { ThreadPool } from 'spindle';
 * await using pool = new ThreadPool(2);
 * await pool.map((x: number) => x + 1, [1, 2, 3, 4]);
 * const { live, started, replaced } = pool.stats().threads; // e.g. 2, 2, 0
 * ```
 */
export interface ThreadCounts {
  /** Started and not yet exited. */
  live: number;
  /** Started since the pool was created (threads start lazily, when work needs them). */
  started: number;
  /**
   * Exited because they crashed (`process.exit()` in a task, an uncaught error, out of memory),
   * ran `maxTasksPerThread` tasks, or were stopped after an abort, while the pool was running: a
   * new thread takes their work. Threads that idled out or stopped with the pool do not count.
   */
  replaced: number;
}

/**
 * A snapshot of a pool's work, as `pool.stats()` and `executor.stats()` return it: a plain object,
 * safe to keep, log or `JSON.stringify`.
 *
 * Counts are in calls of the task function: one per `apply`/`applyAsync`/`submit`, one per item
 * of a map, starmap, imap or executor map (whatever the chunksize). `queued + running` is every
 * call issued and not yet settled; every settled call counts once in `completed`, `failed` or
 * `cancelled`.
 *
 * @example
 * ```ts
 * import { ThreadPool } from 'spindle';
 * await using pool = new ThreadPool({ workers: 4, timings: true });
 * await pool.map((x: number) => x * 2, [1, 2, 3]);
 * const s = pool.stats(); // s.completed === 3, s.queued === 0, s.running === 0
 * console.log(`${s.completed} done, p50 ${s.runTime?.p50} ms, ${(s.utilization ?? 0) * 100}% busy`);
 * ```
 */
export interface PoolStats {
  /** Issued and not started: in the pool's queue, or sent to a thread that has not started it. */
  queued: number;
  /** Started on a thread and not settled. */
  running: number;
  /** Returned a value (a chunk's items each count). */
  completed: number;
  /**
   * Threw, or could not run: its thread died under it (`WorkerExitError`), its arguments could
   * not be sent, the pool broke (`BrokenPoolError`).
   */
  failed: number;
  /**
   * Withdrawn or stopped on request: `Future.cancel()`, `shutdown({ cancelFutures: true })`, an
   * imap left early (its queued chunks), `terminate()` (every call not settled).
   */
  cancelled: number;
  /** The pool's threads: live, started, replaced. */
  threads: ThreadCounts;
  /**
   * How busy the task slots have been since the pool was created, from 0 to 1: the time tasks
   * spent running (started on a thread → settled, summed over every task, those still running
   * counted up to now) divided by `workers × (now − creation)`. A pool of 4 workers with 2 tasks
   * running all along shows 0.5. Tasks whose start the pool never learned (their thread was
   * killed before it reported them) are not counted. `null` without the `timings` option.
   */
  utilization: number | null;
  /**
   * From the start of a task on its thread to its settlement on the main thread. `null` without
   * the `timings` option.
   */
  runTime: TimeSummary | null;
  /**
   * From the call that issued a task to its start on a thread (queueing and sending). `null`
   * without the `timings` option.
   */
  waitTime: TimeSummary | null;
}

const EMPTY: TimeSummary = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };

/** The offset of the threads' monotonic clock (ms) from the main thread's `performance.now()`. */
const THREAD_CLOCK_OFFSET = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** A start time reported by a worker thread (ms on its monotonic clock), in main-thread ms. */
export function fromThreadClock(ms: number): number {
  return ms - THREAD_CLOCK_OFFSET;
}

function summary(histogram: DurationHistogram): TimeSummary {
  if (histogram.count === 0) return { ...EMPTY };
  return {
    count: histogram.count,
    min: histogram.min / 1000,
    mean: histogram.mean / 1000,
    p50: histogram.percentile(50) / 1000,
    p90: histogram.percentile(90) / 1000,
    p99: histogram.percentile(99) / 1000,
    max: histogram.max / 1000,
  };
}

export class StatsCollector {
  readonly #workers: number;
  /** Whether tasks are timed (the `timings` option). */
  readonly #timings: boolean;
  readonly #createdAt = performance.now();
  /** Calls issued and not settled (queued or running). */
  #pending = 0;
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #threadsStarted = 0;
  #threadsExited = 0;
  #threadsReplaced = 0;
  /** Running time of the settled tasks whose start is known, in ms. */
  #busyMs = 0;
  /** In microseconds. */
  readonly #runTime = new DurationHistogram();
  readonly #waitTime = new DurationHistogram();
  /** The time of the current engine step, read once for all it settles (0: not read yet). */
  #stepTime = 0;

  constructor(workers: number, timings: boolean) {
    this.#workers = workers;
    this.#timings = timings;
  }

  /** Calls issued and not yet settled. */
  get pending(): number {
    return this.#pending;
  }

  /** A task was issued (before its payload is captured: a chunk's items are counted here). */
  issued(task: Task): void {
    const payload = task.payload;
    if (task.mode !== Mode.Call && Array.isArray(payload)) task.calls = payload.length;
    this.#pending += task.calls;
    if (this.#timings) task.queuedAt = performance.now();
  }

  /** A task settled; `cancelled`: by a cancellation (terminate), not by its own outcome. */
  settled(task: Task, outcome: Outcome, value: unknown, cancelled: boolean): void {
    const calls = task.calls;
    this.#pending -= calls;
    if (cancelled) this.#cancelled += calls;
    else if (outcome === Outcome.Ok) this.#completed += calls;
    else if (outcome === Outcome.PartialChunk) {
      const failures = (value as ChunkFailure<unknown>).failures.length;
      this.#failed += failures;
      this.#completed += calls - failures;
    } else this.#failed += calls;
    const startedAt = task.startedAt;
    if (startedAt > 0) {
      // A batch of results arrives at one moment: one clock read for all of it.
      if (this.#stepTime === 0) this.#stepTime = performance.now();
      const ran = this.#stepTime - startedAt;
      this.#busyMs += ran;
      this.#runTime.record(ran * 1000);
      this.#waitTime.record((startedAt - task.queuedAt) * 1000);
    }
  }

  /** The engine step is over: the next settlement reads the clock again. */
  stepEnded(): void {
    this.#stepTime = 0;
  }

  /** A task that had not started was withdrawn (Future.cancel, an imap left early). */
  withdrawn(task: Task): void {
    this.#pending -= task.calls;
    this.#cancelled += task.calls;
  }

  threadStarted(): void {
    this.#threadsStarted++;
  }

  /** `running`: the pool was still taking work (a thread lost then is replaced). */
  threadExited(reason: ThreadExitReason, running: boolean): void {
    this.#threadsExited++;
    if (running && (reason === 'crash' || reason === 'maxTasksPerThread' || reason === 'abort')) {
      this.#threadsReplaced++;
    }
  }

  /** The snapshot, with what runs now read from the carriers. */
  snapshot(threads: readonly ThreadHandle[]): PoolStats {
    const now = performance.now();
    let running = 0;
    let busyMs = this.#busyMs;
    for (const thread of threads) {
      // Outstanding tasks are in seq order, and a carrier starts them in that order.
      for (const task of thread.outstanding.values()) {
        if (!thread.hasStarted(task)) break;
        // Aborted and already counted as settled, though it still holds its slot (abortGrace).
        if (task.state === TaskState.Settled) continue;
        running += task.calls;
        if (task.startedAt > 0) busyMs += now - task.startedAt;
      }
    }
    let utilization: number | null = null;
    if (this.#timings) {
      const capacity = this.#workers * (now - this.#createdAt);
      utilization = capacity > 0 ? Math.min(1, Math.max(0, busyMs / capacity)) : 0;
    }
    return {
      queued: Math.max(0, this.#pending - running),
      running,
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      threads: {
        live: this.#threadsStarted - this.#threadsExited,
        started: this.#threadsStarted,
        replaced: this.#threadsReplaced,
      },
      utilization,
      runTime: this.#timings ? summary(this.#runTime) : null,
      waitTime: this.#timings ? summary(this.#waitTime) : null,
    };
  }
}
