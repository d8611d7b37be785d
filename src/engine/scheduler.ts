/**
 * Where tasks go: the queue of waiting tasks, the carriers (threads) and their share of the
 * pool's task slots, and the mechanism that carries out dispatch-policy.ts's decisions: start
 * carriers while there are more tasks than slots, send each its batch, take back from a carrier
 * stuck in a long synchronous task what it has not started, and look again a moment later while
 * tasks wait (so that this happens even when no carrier reports anything).
 *
 * The pool's `workers` task slots are shared out among at most `carriers` carriers (carrier i
 * gets `quota` slots). Carriers start lazily, and one with nothing to do never keeps the process
 * alive.
 */
import { performance } from 'node:perf_hooks';
import type { ResolvedPoolOptions } from '../options/types.js';
import { MAX_SEQ } from '../protocol/claims.js';
import { TaskFlags } from '../protocol/messages.js';
import type { HostKind } from '../threads/host.js';
import { type ThreadHandle, type ThreadReports, ThreadState } from '../threads/thread-handle.js';
import {
  type CarrierView,
  carriersToStart,
  everyCarrierBusy,
  lastWavePieceSize,
  PlanScratch,
  planDispatch,
  stuckCarriers,
  type ThreadLoad,
  takeBackPair,
} from './dispatch-policy.js';
import { type Task, TaskState } from './task.js';
import { TaskQueue } from './task-queue.js';
import { ThreadWatch } from './thread-watch.js';

/** How long tasks may wait for a busy thread before the scheduler looks again (doubling to the max). */
const WATCH_FIRST_MS = 2;
const WATCH_MAX_MS = 64;

const PHASES = ['starting', 'ready', 'retiring', 'stopping'] as const satisfies Record<
  ThreadState,
  CarrierView['phase']
>;

/** What the scheduler needs of the engine. */
export interface SchedulerOwner extends ThreadReports {
  /** Runs `body` as one engine step (see deliveries.ts). */
  step<T>(body: () => T): T;
  /** Whether tasks may still be dispatched (not terminated, not broken). */
  readonly dispatching: boolean;
  /** A carrier could not be started, or did not start in time: the pool is broken. */
  startFailed(cause: unknown, what: string): void;
  /** A carrier was started (for the stats and the 'threadStart' event). */
  threadStarted(thread: ThreadHandle): void;
  /**
   * A task with a time limit is being sent, at `now` (`performance.now()`): its timer starts (see
   * control/controls.ts).
   */
  timedSent(task: Task, now: number): void;
}

export class Scheduler {
  readonly queue = new TaskQueue();
  readonly threads: ThreadHandle[] = [];
  readonly #options: ResolvedPoolOptions;
  readonly #host: HostKind;
  readonly #owner: SchedulerOwner;
  readonly #freeSlots: number[] = [];
  readonly #quotas: number[] = [];
  readonly #watches = new Map<ThreadHandle, ThreadWatch>();
  #threadCounter = 0;
  // Kept from one dispatch to the next (see PlanScratch): what #dispatch works in.
  readonly #ready: ThreadHandle[] = [];
  readonly #loads: ThreadLoad[] = [];
  readonly #batches: (Task[] | undefined)[] = [];
  readonly #planScratch = new PlanScratch();
  /** Carriers with an aborted task in its grace (see graceBegan): 0 but for a moment after an abort. */
  #doomed = 0;
  #waitTimer: NodeJS.Timeout | undefined;
  #watchDelay = WATCH_FIRST_MS;
  /** Producers (imap inputs) that may still submit tasks: the main thread is busy feeding. */
  producers = 0;

  constructor(options: ResolvedPoolOptions, host: HostKind, owner: SchedulerOwner) {
    this.#options = options;
    this.#host = host;
    this.#owner = owner;
    const carriers = Math.max(1, host.carriers(options));
    for (let i = 0; i < carriers; i++) {
      this.#quotas.push(
        Math.floor(options.workers / carriers) + (i < options.workers % carriers ? 1 : 0),
      );
    }
    for (let i = carriers - 1; i >= 0; i--) this.#freeSlots.push(i);
  }

  /** One round: start carriers for the demand, move tasks off stuck ones, dispatch, rebalance. */
  pump(): void {
    // Threads first: a thread that is starting keeps its share of the queue (see #dispatch).
    this.#startThreadsForDemand();
    this.#takeBackFromStuck();
    if (this.queue.splittable !== 0) this.#splitForLastWave();
    this.#dispatch();
    if (this.queue.size === 0) this.#rebalance();
    this.#tellQueued();
    this.#watchForWaiting();
  }

  /** Tells each carrier whether the queue holds tasks (see ThreadHandle.poolQueued). */
  #tellQueued(): void {
    const queued = this.queue.size > 0;
    for (const thread of this.threads) thread.poolQueued(queued);
  }

  /** Whether any task is queued or outstanding on a carrier. */
  hasWork(): boolean {
    if (this.queue.size > 0) return true;
    for (const thread of this.threads) if (thread.outstanding.size > 0) return true;
    return false;
  }

  /** How many tasks have not started: queued here, or sent to a carrier that has not started them. */
  waiting(): number {
    let count = this.queue.size;
    for (const thread of this.threads) count += thread.unstarted();
    return count;
  }

  /** Takes every task not settled out of the queue and off the carriers, in order. */
  takeAll(): Task[] {
    const tasks = this.queue.drain();
    for (const thread of this.threads) {
      for (const task of thread.outstanding.values()) tasks.push(task);
      thread.outstanding.clear();
    }
    return tasks;
  }

  /** Tasks given back (taken from a carrier, or a carrier died before starting them). */
  requeue(tasks: Task[]): void {
    this.queue.unshiftAll(tasks);
  }

  /**
   * Takes a task that has not started out of the scheduler. False if it has started (or started
   * while being taken: a carrier's claims decide).
   */
  withdraw(task: Task): boolean {
    if (task.state === TaskState.Dispatched) {
      const thread = task.thread as ThreadHandle;
      if (thread.hasStarted(task)) return false;
      const taken = thread.revokeUnstarted();
      if (!taken.includes(task)) {
        this.requeue(taken);
        return false;
      }
      this.requeue(taken.filter((t) => t !== task));
      if (thread.outstanding.size === 0) this.markIdle(thread);
    } else {
      this.queue.removed(task);
    }
    return true;
  }

  /** A carrier finished `count` tasks. */
  finished(thread: ThreadHandle, count: number): void {
    this.#watch(thread).finished(count, thread.outstanding.size === 0);
    if (thread.outstanding.size === 0) this.markIdle(thread);
  }

  /**
   * A task running on this carrier was aborted and has its `abortGrace` to end (control/
   * controls.ts): if it does not, the carrier is stopped, and every task it has started fails with
   * it. Until it ends, the carrier is doomed: new tasks go to another carrier that has a free slot,
   * or to one started for them (see dispatch-policy.ts), and to this one only when there is none,
   * as they would without the abort (no task waits for nothing: the aborted task usually ends at
   * once, and a pool of one thread must go on).
   *
   * What it holds and has not started is taken back now, to go where it can start: left there it
   * could start in a free slot during the grace (an async task that ignores its signal leaves the
   * thread free to start others), and fail with the carrier. Cheap (no task starts twice: the
   * claims decide), and a round trip at worst: when no other carrier can take them, they are sent
   * back to this one. Not when this is the only carrier the pool may have: there they would only
   * come straight back.
   */
  graceBegan(thread: ThreadHandle): void {
    if (thread.abortsInGrace++ === 0) this.#doomed++;
    if (thread.state === ThreadState.Stopping) return;
    if (this.threads.length > 1 || this.#freeSlots.length > 0) this.#takeBack(thread);
  }

  /** That grace is over: the aborted task ended, or its carrier is being stopped. */
  graceEnded(thread: ThreadHandle): void {
    // Zero already when the carrier exited first (see forget).
    if (thread.abortsInGrace === 0) return;
    if (--thread.abortsInGrace === 0) this.#doomed--;
  }

  /**
   * The carrier is about to be stopped for an aborted task that outlived its grace: what it has
   * not started is taken back first, so that it cannot start any in the moment before it exits.
   */
  takeBackBeforeStop(thread: ThreadHandle): void {
    this.#takeBack(thread);
  }

  /** A carrier exited: it leaves the scheduler and its slot share is free again. */
  forget(thread: ThreadHandle): void {
    if (thread.abortsInGrace > 0) {
      thread.abortsInGrace = 0;
      this.#doomed--;
    }
    thread.clearTimers();
    this.#watches.delete(thread);
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
    this.#freeSlots.push(thread.slot);
    // What the last dispatch worked in must not keep a thread that is gone.
    this.#ready.length = 0;
  }

  /**
   * Nothing outstanding: a retiring carrier stops; another stops after `idleTimeout`. Only a
   * ready or retiring carrier is idle: one starting or on its way out keeps the process alive
   * until it is ready or has exited (a caller may be awaiting a task queued for it, or join()).
   */
  markIdle(thread: ThreadHandle): void {
    if (thread.state !== ThreadState.Ready && thread.state !== ThreadState.Retiring) return;
    thread.setBusy(false);
    if (thread.state === ThreadState.Retiring) {
      thread.exitReason ??= 'maxTasksPerThread';
      void thread.stop(true);
      return;
    }
    thread.armIdleTimer(this.#options.idleTimeout, () => {
      if (thread.outstanding.size === 0 && thread.state === ThreadState.Ready) {
        thread.exitReason ??= 'idle';
        void thread.stop(true);
      }
    });
  }

  /**
   * Stops every carrier: gracefully (each finishes writing what its tasks wrote) once a closed
   * pool's work is done, at once when the pool is terminated or broken.
   */
  stopAll(graceful: boolean): void {
    if (this.#waitTimer) clearTimeout(this.#waitTimer);
    this.#waitTimer = undefined;
    for (const thread of this.threads) {
      thread.exitReason ??= graceful ? 'close' : 'terminate';
      thread.clearTimers();
      void thread.stop(graceful);
    }
  }

  // ---- dispatch ---------------------------------------------------------------------------------

  /** `except`: a thread just found holding tasks it could not start gets none back this round. */
  #dispatch(except?: ThreadHandle): void {
    if (this.queue.size === 0) return;
    const ready = this.#ready;
    const loads = this.#loads;
    let count = 0;
    const now = performance.now();
    const maxTasks = this.#options.maxTasksPerThread;
    let anyOutOfSyncCode = false;
    // A long task's successor is worth sending ahead only while each thread has more to come: at
    // the tail of the queue, it would only be taken back for the thread that frees first (and
    // sent, cloned, twice).
    const deepQueue = this.queue.size >= 2 * this.threads.length;
    const anyDoomed = this.#doomed !== 0;
    // A carrier started for the queue while another is doomed (see graceBegan) is its
    // replacement: what it will run waits for it rather than starting on the doomed one. One that
    // takes tasks while starting (a worker thread) takes them by the policy, the doomed one only
    // what it has no slot for; one that cannot (a child process) holds the doomed one's back
    // until it is ready (its start, not a grace).
    const spareComing = anyDoomed && this.threads.some(startingClosed);
    for (const thread of this.threads) {
      if (!acceptsTasks(thread)) continue;
      const watch = this.#watch(thread);
      const syncSeq = thread.syncRunning();
      const lastTaskLong = thread.lastTaskLong();
      const doomed = anyDoomed && thread.abortsInGrace !== 0;
      const available =
        thread !== except && !(doomed && spareComing) && !watch.stuck(syncSeq, lastTaskLong, now);
      ready[count] = thread;
      const load = loads[count] ?? newLoad();
      loads[count] = load;
      count++;
      load.quota = thread.quota;
      load.outstanding = thread.outstanding.size;
      load.available = available;
      load.inSyncCode = syncSeq !== 0;
      load.lifetimeRoom = Math.min(maxTasks - thread.dispatched, MAX_SEQ - thread.nextSeq);
      load.readAhead = watch.readAhead(lastTaskLong && deepQueue);
      load.doomed = doomed;
      if (available && syncSeq === 0) anyOutOfSyncCode = true;
    }
    if (count === 0) return;
    ready.length = count;
    loads.length = count;
    const plan = planDispatch(loads, this.queue.size, this.#planScratch);
    const batches = this.#batches;
    for (let i = 0; i < count; i++) batches[i] = undefined;
    for (let k = 0; k < plan.count; k++) {
      const index = plan.threads[k] as number;
      const task = this.queue.peek();
      if (!task) break;
      if (task.transfer !== undefined && task.transfer.length > 0) {
        // Its buffers will belong to the thread it is sent to, so it could never be taken back
        // and moved: it goes only into a free slot, and not to a thread busy in synchronous code
        // while another is not (that one will free a slot soon). Later tasks wait behind it.
        if (k >= plan.slotted) break;
        if (anyOutOfSyncCode && (loads[index] as ThreadLoad).inSyncCode) break;
      }
      this.queue.shift();
      if ((task.flags & TaskFlags.Timed) !== 0) this.#owner.timedSent(task, now);
      const batch = batches[index];
      // A literal of one: an empty array's first push allocates room for sixteen.
      if (batch) batch.push(task);
      else batches[index] = [task];
    }
    // Before the batches leave: a thread that reads them sees whether more are to come.
    this.#tellQueued();
    for (let i = 0; i < count; i++) {
      const batch = batches[i];
      if (!batch) continue;
      batches[i] = undefined;
      const thread = ready[i] as ThreadHandle;
      thread.clearIdleTimer();
      this.#watch(thread).sent(thread.outstanding.size === 0);
      thread.send(batch);
      if (thread.state === ThreadState.Ready) this.#retireIfSpent(thread);
    }
  }

  /**
   * The queue holds map chunks that could be cut into pieces: cut them when the policy says this
   * is a map's last wave (lastWavePieceSize in dispatch-policy.ts).
   */
  #splitForLastWave(): void {
    let carriers = 0;
    let slots = 0;
    let held = 0;
    for (const thread of this.threads) {
      held += thread.unstarted();
      if (!acceptsTasks(thread) || thread.abortsInGrace !== 0) continue;
      carriers++;
      slots += thread.quota;
    }
    const queuedTasks = this.queue.size;
    // Enough tasks waiting for every slot: not the last wave (and no need to count their calls).
    if (carriers < 2 || queuedTasks + held >= slots) return;
    const queuedCalls = this.queue.calls();
    const size = lastWavePieceSize({ queuedCalls, queuedTasks, held, slots, carriers });
    if (size > 0) this.queue.splitAll(size);
  }

  /** A carrier that has been sent all the tasks it may run takes no more, and stops when done. */
  #retireIfSpent(thread: ThreadHandle): void {
    if (thread.dispatched >= this.#options.maxTasksPerThread || thread.nextSeq >= MAX_SEQ) {
      thread.state = ThreadState.Retiring;
    }
  }

  /**
   * A carrier finished starting. It may hold tasks sent while it started: then its pace is
   * measured from now, not from when they were sent.
   */
  ready(thread: ThreadHandle): void {
    thread.state = ThreadState.Ready;
    this.#retireIfSpent(thread);
    if (thread.outstanding.size === 0) this.markIdle(thread);
    else this.#watch(thread).restart();
  }

  #watch(thread: ThreadHandle): ThreadWatch {
    let watch = this.#watches.get(thread);
    if (!watch) {
      watch = new ThreadWatch();
      this.#watches.set(thread, watch);
    }
    return watch;
  }

  #stuck(thread: ThreadHandle, now: number): boolean {
    return this.#watch(thread).stuck(thread.syncRunning(), thread.lastTaskLong(), now);
  }

  // ---- carriers coming ----------------------------------------------------------------------------

  /** Starts threads while there are more tasks than slots. */
  #startThreadsForDemand(): void {
    // Every carrier the pool may have is there (the common case, once the pool is warm).
    if (this.#freeSlots.length === 0) return;
    // Enough slots for every task (a pool smaller than its limit, one task at a time): nothing to
    // start, and no views made for the policy to say so.
    if (!this.#demandBeyondSlots()) return;
    const quotas = this.#freeSlots.map((slot) => this.#quotas[slot] as number).reverse();
    const count = carriersToStart(this.#views(), this.queue.size, quotas);
    for (let i = 0; i < count; i++) if (!this.#startThread()) return;
  }

  /**
   * Whether there are more tasks (queued or outstanding) than the live carriers have slots. A
   * doomed carrier counts neither, as in carriersToStart.
   */
  #demandBeyondSlots(): boolean {
    let demand = this.queue.size;
    let slots = 0;
    for (const thread of this.threads) {
      if (thread.abortsInGrace !== 0) continue;
      demand += thread.outstanding.size;
      if (thread.state === ThreadState.Starting || thread.state === ThreadState.Ready) {
        slots += thread.quota;
      }
    }
    return demand > slots;
  }

  /** What the policy sees of each carrier. */
  #views(): CarrierView[] {
    const now = performance.now();
    return this.threads.map((thread) => ({
      phase: PHASES[thread.state],
      quota: thread.quota,
      outstanding: thread.outstanding.size,
      unstarted: thread.unstarted(),
      running: thread.running(),
      stuck: this.#stuck(thread, now),
      doomed: thread.abortsInGrace !== 0,
    }));
  }

  #startThread(): ThreadHandle | undefined {
    const slot = this.#freeSlots.pop() as number;
    const quota = this.#quotas[slot] as number;
    const name = `${this.#options.name}-${++this.#threadCounter}`;
    let thread: ThreadHandle;
    try {
      thread = this.#host.start(this.#owner, { name, slot, quota }, this.#options);
    } catch (error) {
      this.#freeSlots.push(slot);
      this.#owner.startFailed(error, 'a thread could not be started');
      return undefined;
    }
    this.threads.push(thread);
    this.#owner.threadStarted(thread);
    const limit = this.#options.initializerTimeout;
    thread.armStartTimer(limit, () =>
      this.#owner.step(() =>
        this.#owner.startFailed(
          new Error(
            `Thread ${name} did not finish starting within ${limit} ms (initializerTimeout)`,
          ),
          'a thread did not finish starting',
        ),
      ),
    );
    return thread;
  }

  /**
   * While tasks wait (in the queue, or sent to a thread that has not started them), look again a
   * moment later, even if no thread reports anything meanwhile: a thread may be stuck in a long
   * synchronous task (its unstarted tasks must move), or every started thread may be busy while
   * another thread could start (four CPU-bound tasks on `new ThreadPool(8)`, whose first thread
   * holds four slots). The delay doubles while nothing changes.
   */
  #watchForWaiting(): void {
    if (this.#waitTimer) return;
    if (!this.#hasWaiting()) {
      this.#watchDelay = WATCH_FIRST_MS;
      return;
    }
    this.#waitTimer = setTimeout(() => {
      this.#waitTimer = undefined;
      if (!this.#owner.dispatching) return;
      this.#owner.step(() => {
        const before = this.queue.size;
        if (this.#freeSlots.length > 0 && everyCarrierBusy(this.#views()) && this.#hasWaiting()) {
          this.#startThread();
        }
        this.pump();
        this.#watchDelay =
          this.queue.size < before ? WATCH_FIRST_MS : Math.min(this.#watchDelay * 2, WATCH_MAX_MS);
      });
    }, this.#watchDelay);
    // The busy thread keeps the process alive while it has work; this timer need not.
    this.#waitTimer.unref();
  }

  #hasWaiting(): boolean {
    return this.queue.size > 0 || this.#anyUnstarted();
  }

  /** Whether some carrier holds tasks it has not started (only those can be taken back). */
  #anyUnstarted(): boolean {
    for (const thread of this.threads) if (thread.unstarted() > 0) return true;
    return false;
  }

  // ---- taking back --------------------------------------------------------------------------------

  /**
   * A thread stuck in a long synchronous task starts nothing else until it returns: the tasks it
   * holds and has not started go back to the front of the queue (in order), for the threads that
   * are free, or free first.
   */
  #takeBackFromStuck(): void {
    if (this.threads.length < 2) return;
    // Only a thread inside a task's synchronous code can be stuck in it (see ThreadWatch.stuck).
    let candidate = false;
    for (const thread of this.threads) {
      if (thread.syncRunning() !== 0 && thread.unstarted() > 0) candidate = true;
    }
    if (!candidate) return;
    for (const i of stuckCarriers(this.#views())) this.#takeBack(this.threads[i] as ThreadHandle);
  }

  /**
   * A thread has a free slot and nothing is queued: take back the tasks another thread cannot
   * start now, so they can run here instead of waiting there (and the oldest of them starts next).
   */
  #rebalance(): void {
    if (this.threads.length < 2 || !this.#anyUnstarted()) return;
    // A thief first: a ready thread with a free slot and nothing unstarted of its own.
    let thief = false;
    for (const thread of this.threads) {
      if (
        thread.state === ThreadState.Ready &&
        thread.outstanding.size < thread.quota &&
        thread.unstarted() === 0
      ) {
        thief = true;
      }
    }
    if (!thief) return;
    const pair = takeBackPair(this.#views());
    if (!pair) return;
    const victim = this.threads[pair.victim] as ThreadHandle;
    if (this.#takeBack(victim)) this.#dispatch(victim);
  }

  /** Takes back what the thread has not started, to the front of the queue. */
  #takeBack(thread: ThreadHandle): boolean {
    const taken = thread.revokeUnstarted();
    if (taken.length === 0) return false;
    if (thread.outstanding.size === 0) this.markIdle(thread);
    this.requeue(taken);
    return true;
  }
}

function newLoad(): ThreadLoad {
  return {
    quota: 0,
    outstanding: 0,
    available: false,
    inSyncCode: false,
    lifetimeRoom: 0,
    readAhead: 0,
    doomed: false,
  };
}

/** A carrier still starting that cannot be sent tasks until it is ready. */
function startingClosed(thread: ThreadHandle): boolean {
  return thread.state === ThreadState.Starting && !thread.takesTasksWhileStarting;
}

/** Whether a carrier may be sent tasks now (a starting one only if it queues them until ready). */
function acceptsTasks(thread: ThreadHandle): boolean {
  return (
    thread.state === ThreadState.Ready ||
    (thread.state === ThreadState.Starting && thread.takesTasksWhileStarting)
  );
}
