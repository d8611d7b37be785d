/**
 * Which thread gets which waiting task: a pure function over plain numbers, so that the decisions
 * can be tested without threads (see test/internals/dispatch-policy.test.ts).
 *
 * Tasks leave the pool's queue oldest first, and the policy only says, for each of them in turn,
 * which thread it goes to. Two rounds:
 *
 * 1. Free slots. Each task goes to the thread with the most free slots, so that no task waits
 *    while a slot is free anywhere (a thread with 2 slots taken out of 3 is not chosen over one
 *    with 3 free). A thread that is known to be stuck in a long synchronous task has no free slot
 *    whatever its count says; one that is running synchronous code at this moment comes after
 *    those that are not. A doomed thread (it runs an aborted task that has not ended yet, and is
 *    stopped when the task's abortGrace runs out, failing every task it has started) comes after
 *    all others: it gets a task only when no other thread has a free slot, as it would have
 *    without the abort (a task that waited instead could wait a whole grace for nothing, and the
 *    aborted task usually ends at once).
 * 2. Read-ahead. A thread may hold a few tasks beyond its slots, so that it never idles waiting
 *    for the next message; but a task held there cannot start elsewhere, and it starts only after
 *    that thread's earlier tasks. So the read-ahead is measured in time, not in tasks: as many
 *    tasks as the thread finishes in about `READ_AHEAD_MS` (none when tasks are slow, or before
 *    the thread has shown its pace), given out one at a time in turn so that the threads start
 *    them in about the order they were issued. A doomed thread gets none (a child process fails
 *    even the tasks it holds and has not started, see processes/child-process.ts).
 */

/** What the policy needs to know of one thread. */
export interface ThreadLoad {
  /** Task slots: how many tasks it may run at once. */
  quota: number;
  /** Tasks sent to it and not settled (started or not). */
  outstanding: number;
  /** Whether it can take tasks at all (started, not retiring, not stuck in a long sync task). */
  available: boolean;
  /** Whether it is inside a task's synchronous code right now. */
  inSyncCode: boolean;
  /** How many more tasks it may be sent before it must be retired (maxTasksPerThread, seqs). */
  lifetimeRoom: number;
  /** How many tasks it may hold beyond its slots (its read-ahead window). */
  readAhead: number;
  /** Whether it runs an aborted task still within its abortGrace (see the header). */
  doomed: boolean;
}

/** How long a thread's read-ahead should last, in milliseconds of its measured pace. */
export const READ_AHEAD_MS = 2;
/** The most tasks a thread may hold beyond its slots. */
export const MAX_READ_AHEAD = 512;
/** The fewest worth holding: tasks slower than READ_AHEAD_MS / MIN_READ_AHEAD get none. */
export const MIN_READ_AHEAD = 4;

/** The read-ahead window of a thread that finishes `tasksPerMs` tasks per millisecond. */
export function readAheadFor(tasksPerMs: number): number {
  if (!(tasksPerMs > 0)) return 0;
  const window = Math.floor(tasksPerMs * READ_AHEAD_MS);
  // A window of a task or two saves little (the round trip it hides is as long as such a task)
  // and its tasks are the ones long enough to be overtaken visibly: none.
  return window < MIN_READ_AHEAD ? 0 : Math.min(MAX_READ_AHEAD, window);
}

export interface DispatchPlan {
  /**
   * For the first `count` tasks of the queue in order, the index of the thread each goes to (the
   * first `count` entries: a plan made in a PlanScratch may hold stale ones after them).
   */
  threads: number[];
  /** How many tasks the plan places. */
  count: number;
  /**
   * How many of them go into free slots; the rest go into read-ahead. (The engine stops the
   * read-ahead at a task whose buffers are transferred: such a task must not wait in a thread,
   * where it could never be taken back and moved.)
   */
  slotted: number;
}

/**
 * The arrays one planning works in, kept by a scheduler from one dispatch to the next: a pool
 * that answers one task at a time plans once per task, and fresh arrays each time were a good
 * part of what a round trip left for the garbage collector (whose pauses are the latency tail).
 * The plan returned is part of it: read it before the next planning.
 */
export class PlanScratch {
  readonly plan: DispatchPlan = { threads: [], count: 0, slotted: 0 };
  readonly free: number[] = [];
  readonly room: number[] = [];
  readonly held: number[] = [];
  readonly extra: number[] = [];
}

/**
 * Where the first of `waiting` tasks go; fewer than `waiting` when the threads have no room.
 * `scratch`: where to work (the plan returned is its own, valid until the next call with it).
 */
export function planDispatch(
  threads: readonly ThreadLoad[],
  waiting: number,
  scratch: PlanScratch = new PlanScratch(),
): DispatchPlan {
  // Written from the start and never truncated: an array cut to length 0 drops its store, and
  // the next push would allocate another.
  const plan = scratch.plan.threads;
  let count = 0;
  const n = threads.length;
  const { free, room, held, extra } = scratch;
  for (let i = 0; i < n; i++) {
    const thread = threads[i] as ThreadLoad;
    const usable = thread.available ? Math.max(0, thread.lifetimeRoom) : 0;
    free[i] = Math.min(usable, Math.max(0, thread.quota - thread.outstanding));
    room[i] = usable;
    held[i] = thread.outstanding;
  }
  // 1. Free slots, the freest thread first.
  while (count < waiting) {
    let best = -1;
    for (let i = 0; i < n; i++) {
      if ((free[i] as number) <= 0) continue;
      if (best < 0 || freer(threads, free, held, i, best)) best = i;
    }
    if (best < 0) break;
    plan[count++] = best;
    free[best] = (free[best] as number) - 1;
    room[best] = (room[best] as number) - 1;
    held[best] = (held[best] as number) + 1;
  }
  const slotted = count;
  scratch.plan.slotted = slotted;
  scratch.plan.count = count;
  // Every task went into a free slot: no read-ahead to plan (one task at a time ends here).
  if (slotted === waiting) return scratch.plan;
  // 2. Read-ahead, one task at a time to each thread in turn. A thread that cannot take a
  // worthwhile batch (a quarter of its window) gets none: topping up each small batch of results
  // with a small batch of tasks would settle into a ping-pong of tiny messages.
  let open = 0;
  for (let i = 0; i < n; i++) {
    const thread = threads[i] as ThreadLoad;
    const beyondSlots = Math.max(0, (held[i] as number) - thread.quota);
    const window = thread.available && !thread.doomed ? thread.readAhead : 0;
    let take = Math.min(window - beyondSlots, room[i] as number);
    if (take < Math.max(1, Math.ceil(window / 4))) take = 0;
    extra[i] = take;
    if (take > 0) open++;
  }
  for (let i = 0; open > 0 && count < waiting; i = (i + 1) % n) {
    if ((extra[i] as number) <= 0) continue;
    plan[count++] = i;
    extra[i] = (extra[i] as number) - 1;
    if (extra[i] === 0) open--;
  }
  scratch.plan.count = count;
  return scratch.plan;
}

/** Whether thread `a` should get the next task before thread `b`. */
function freer(
  threads: readonly ThreadLoad[],
  free: number[],
  held: number[],
  a: number,
  b: number,
): boolean {
  const loadA = threads[a] as ThreadLoad;
  const loadB = threads[b] as ThreadLoad;
  if (loadA.doomed !== loadB.doomed) return loadB.doomed;
  const syncA = loadA.inSyncCode;
  const syncB = loadB.inSyncCode;
  if (syncA !== syncB) return syncB;
  if (free[a] !== free[b]) return (free[a] as number) > (free[b] as number);
  return (held[a] as number) < (held[b] as number);
}

/**
 * How many items at most each queued map chunk should hold now, or 0 to leave the chunks as they
 * are: the last wave of a map.
 *
 * A chunk holds one slot and runs its items one after another; its thread's other free slots may
 * help it along (run/chunk-run.ts), but only its own thread's. At a map's end the chunks left
 * go, one per free slot, to the first thread whose slots come free, and the threads whose slots
 * come free a moment later find the queue empty: 1,000 GETs of 50 ms on `ThreadPool(100)` (2
 * threads of 50 slots, chunks of 3) ended with the last 34 chunks, 100 GETs, on one thread, two
 * waves of GETs on its 50 slots while the other thread's 50 idled; 64 `fib` calls in 8 chunks on
 * two threads end with one thread running the last chunk alone. So once fewer tasks are queued
 * than the carriers have slots in all, and there is more than one carrier to share them, the
 * chunks are cut into pieces of about `queuedCalls / slots` items (single items when the calls
 * fit the slots at once), so that every carrier takes its share as its slots come free. Tasks a
 * carrier holds and has not started count as queued: cut while a thread held older chunks, the
 * pieces would start before them on the threads that took them. A chunk is cut once (its pieces
 * are not cut again: see MapJob.splittable), and only into two pieces or more of about equal
 * size (cutsChunk): one shorter than twice the size is left whole until the queue is shorter.
 * (Cut as soon as the queue fell below the slots, 99 chunks of 2,000 items on 100 slots became
 * 99 pieces of 1,980 and 99 slivers of 20: twice the tasks, no better balance, and never cut
 * again.) Items still start in input order; a chunksize the caller chose is never cut (see
 * isSplittable in task-queue.ts).
 */
export function lastWavePieceSize(wave: LastWave): number {
  const { queuedCalls, queuedTasks, held, slots, carriers } = wave;
  if (carriers < 2 || queuedTasks + held >= slots || queuedCalls <= queuedTasks) return 0;
  return Math.ceil(queuedCalls / slots);
}

/** Whether a chunk of `calls` items is cut into pieces of `size` (see lastWavePieceSize). */
export function cutsChunk(calls: number, size: number): boolean {
  return size > 0 && calls >= 2 * size;
}

/** What lastWavePieceSize needs to know of the queue and the carriers. */
export interface LastWave {
  /** The calls the queued tasks stand for (a chunk's items each). */
  queuedCalls: number;
  queuedTasks: number;
  /**
   * Tasks sent to carriers and not started (a read-ahead): they start before anything queued, so
   * while they and the queue fill every slot, this is not the last wave yet.
   */
  held: number;
  /** The task slots of the carriers that take tasks. */
  slots: number;
  carriers: number;
}

/** What the policy needs to know of a carrier to decide what to start and what to take back. */
export interface CarrierView {
  /** Retiring: takes no more tasks, stops when done; stopping: on its way out. */
  phase: 'starting' | 'ready' | 'retiring' | 'stopping';
  quota: number;
  outstanding: number;
  /** Sent and not started. */
  unstarted: number;
  /** Started and not settled. */
  running: number;
  /** Seen stuck in one long synchronous task. */
  stuck: boolean;
  /** Runs an aborted task still within its abortGrace (see ThreadLoad.doomed). */
  doomed: boolean;
}

/**
 * How many more carriers to start: while there are more tasks than slots (and room for one). A
 * doomed carrier counts neither its slots nor its tasks: it is replaced when its grace runs out,
 * so the carrier started now for the queue is that replacement, early (and if the aborted task
 * ends in time, the extra carrier idles out after idleTimeout like any other).
 */
export function carriersToStart(
  carriers: readonly CarrierView[],
  queued: number,
  quotas: readonly number[],
): number {
  let demand = queued;
  let slots = 0;
  for (const carrier of carriers) {
    if (carrier.doomed) continue;
    demand += carrier.outstanding;
    if (carrier.phase === 'starting' || carrier.phase === 'ready') slots += carrier.quota;
  }
  let count = 0;
  while (demand > slots && count < quotas.length) slots += quotas[count++] as number;
  return count;
}

/**
 * Whether tasks that keep waiting deserve one more carrier: every started carrier is busy with
 * work it began (a task merely on its way to one is no reason), and none is still starting.
 */
export function everyCarrierBusy(carriers: readonly CarrierView[]): boolean {
  for (const carrier of carriers) {
    if (carrier.phase === 'starting') return false;
    if (carrier.phase === 'ready' && carrier.running === 0) return false;
  }
  return true;
}

/** The carriers whose unstarted tasks must move: stuck ones (when there is another to move to). */
export function stuckCarriers(carriers: readonly CarrierView[]): number[] {
  if (carriers.length < 2) return [];
  const stuck: number[] = [];
  carriers.forEach((carrier, i) => {
    if (carrier.phase !== 'stopping' && carrier.unstarted > 0 && carrier.stuck) stuck.push(i);
  });
  return stuck;
}

/**
 * Nothing is queued, and a carrier has a free slot: from whom to take back the tasks it has not
 * started, for it. The thief: ready, a free slot, nothing unstarted of its own, not stuck, not
 * doomed (the least loaded such). The victim: one that cannot start what it holds, still
 * starting, stuck or with every slot running (the one holding most), or a doomed one (what it
 * starts fails with it if it is stopped); one merely still receiving its batch is not, since
 * taking that back would only send it on a round trip. Undefined when there is no such pair.
 */
export function takeBackPair(
  carriers: readonly CarrierView[],
): { thief: number; victim: number } | undefined {
  let thief = -1;
  carriers.forEach((carrier, i) => {
    if (
      carrier.phase === 'ready' &&
      carrier.outstanding < carrier.quota &&
      carrier.unstarted === 0 &&
      !carrier.stuck &&
      !carrier.doomed &&
      (thief < 0 || carrier.outstanding < (carriers[thief] as CarrierView).outstanding)
    ) {
      thief = i;
    }
  });
  if (thief < 0) return undefined;
  let victim = -1;
  let most = 0;
  carriers.forEach((carrier, i) => {
    if (i === thief || carrier.phase === 'stopping') return;
    if (carrier.unstarted <= most) return;
    // One still starting cannot start what it holds yet either (its start takes milliseconds).
    const cannotStart = carrier.phase === 'starting' || carrier.running >= carrier.quota;
    if (!cannotStart && !carrier.stuck && !carrier.doomed) return;
    most = carrier.unstarted;
    victim = i;
  });
  return victim < 0 ? undefined : { thief, victim };
}
