// The dispatch policy on its own: plain numbers in, thread indices out, no threads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type CarrierView,
  carriersToStart,
  cutsChunk,
  everyCarrierBusy,
  type LastWave,
  lastWavePieceSize,
  MAX_READ_AHEAD,
  PlanScratch,
  planDispatch,
  READ_AHEAD_MS,
  readAheadFor,
  stuckCarriers,
  type ThreadLoad,
  takeBackPair,
} from '../../src/engine/dispatch-policy.js';

/** A last wave with nothing held by the carriers (queuedCalls, queuedTasks, slots, carriers). */
function wave(queuedCalls: number, queuedTasks: number, slots: number, carriers: number): LastWave {
  return { queuedCalls, queuedTasks, held: 0, slots, carriers };
}

function thread(overrides: Partial<ThreadLoad> = {}): ThreadLoad {
  return {
    quota: 1,
    outstanding: 0,
    available: true,
    inSyncCode: false,
    lifetimeRoom: Number.POSITIVE_INFINITY,
    readAhead: 0,
    doomed: false,
    ...overrides,
  };
}

describe('free slots', () => {
  test('each task goes to the thread with the most free slots', () => {
    // 3 + 2 slots, both idle: 3 tasks spread over both, none waits for a slot.
    const plan = planDispatch([thread({ quota: 2 }), thread({ quota: 3 })], 3);
    assert.deepEqual(plan.threads, [1, 0, 1]);
    assert.equal(plan.slotted, 3);
  });

  test('a scratch reused from plan to plan gives the same plans as fresh ones', () => {
    const scratch = new PlanScratch();
    const cases: [ThreadLoad[], number][] = [
      [[thread({ quota: 4, readAhead: 8 }), thread({ quota: 4, readAhead: 8 })], 20],
      [[thread({ quota: 2 }), thread({ quota: 3 })], 3],
      [[thread({ quota: 1, outstanding: 1 }), thread({ quota: 2 })], 1],
      [[thread({ available: false })], 5],
      [[thread({ quota: 3 }), thread({ quota: 1 }), thread({ quota: 2, outstanding: 2 })], 4],
    ];
    for (const [loads, waiting] of cases) {
      const fresh = planDispatch(loads, waiting);
      const reused = planDispatch(loads, waiting, scratch);
      assert.equal(reused.count, fresh.count);
      assert.equal(reused.slotted, fresh.slotted);
      assert.deepEqual(reused.threads.slice(0, reused.count), fresh.threads);
    }
  });

  test('no more tasks than free slots without read-ahead', () => {
    const plan = planDispatch([thread({ quota: 2, outstanding: 1 }), thread({ quota: 2 })], 10);
    assert.deepEqual(plan.threads, [1, 0, 1]);
  });

  test('a thread stuck in a synchronous task gets nothing, whatever its free slots', () => {
    const plan = planDispatch(
      [thread({ quota: 4, outstanding: 1, available: false }), thread({ quota: 4 })],
      8,
    );
    assert.deepEqual(plan.threads, [1, 1, 1, 1]);
  });

  test('a thread in synchronous code right now comes after one that is not', () => {
    const plan = planDispatch(
      [thread({ quota: 4, outstanding: 1, inSyncCode: true }), thread({ quota: 4 })],
      6,
    );
    assert.deepEqual(plan.threads, [1, 1, 1, 1, 0, 0]);
  });

  test('a doomed thread (an aborted task in its grace) gets a task only when no other has a slot', () => {
    // Thread 0 runs a task that was aborted and has not ended: 3 free slots, but it comes last,
    // after a thread in synchronous code too.
    const doomed = thread({ quota: 4, outstanding: 1, doomed: true });
    const plan = planDispatch([doomed, thread({ quota: 2, inSyncCode: true })], 4);
    assert.deepEqual(plan.threads, [1, 1, 0, 0]);
    assert.equal(plan.slotted, 4);
    // Alone, it is used as if nothing had happened: no task waits for nothing.
    assert.deepEqual(planDispatch([doomed], 2).threads, [0, 0]);
  });

  test('ties go to the thread holding fewer tasks', () => {
    const plan = planDispatch(
      [thread({ quota: 3, outstanding: 1 }), thread({ quota: 2, outstanding: 0 })],
      1,
    );
    assert.deepEqual(plan.threads, [1]);
  });

  test('lifetime room (maxTasksPerThread) bounds what a thread is sent', () => {
    const plan = planDispatch([thread({ quota: 4, lifetimeRoom: 1 }), thread({ quota: 1 })], 5);
    assert.deepEqual(plan.threads.sort(), [0, 1]);
  });

  test('nothing to give when no thread is available', () => {
    assert.deepEqual(planDispatch([thread({ available: false })], 3).threads, []);
    assert.deepEqual(planDispatch([], 3).threads, []);
  });
});

describe('read-ahead', () => {
  test('is measured in time: none for slow or unknown tasks, more for fast ones', () => {
    assert.equal(readAheadFor(0), 0);
    assert.equal(readAheadFor(Number.NaN), 0);
    assert.equal(readAheadFor(0.2), 0); // 5 ms per task
    assert.equal(readAheadFor(1), 0); // 1 ms per task: a window of 2 is not worth it
    assert.equal(readAheadFor(10), 10 * READ_AHEAD_MS);
    assert.equal(readAheadFor(1e6), MAX_READ_AHEAD);
  });

  test('given in turn, after the free slots, so threads start tasks in about issue order', () => {
    const plan = planDispatch(
      [thread({ quota: 1, readAhead: 4 }), thread({ quota: 1, readAhead: 4 })],
      20,
    );
    assert.equal(plan.slotted, 2);
    assert.deepEqual(plan.threads, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  });

  test('a thread that can take only a sliver of its window gets none (no ping-pong)', () => {
    const plan = planDispatch([thread({ quota: 1, outstanding: 100, readAhead: 100 })], 50);
    assert.deepEqual(plan.threads, []);
    const roomy = planDispatch([thread({ quota: 1, outstanding: 50, readAhead: 100 })], 200);
    assert.equal(roomy.threads.length, 51);
  });

  test('none for a doomed thread: what it holds fails with it in a child process', () => {
    const plan = planDispatch(
      [thread({ quota: 1, readAhead: 8, doomed: true }), thread({ quota: 1, readAhead: 8 })],
      20,
    );
    assert.equal(plan.threads.filter((i) => i === 0).length, 1, 'its free slot only');
    assert.equal(plan.threads.length, 10);
  });

  test('never beyond what is waiting', () => {
    const plan = planDispatch([thread({ quota: 2, readAhead: 100 })], 3);
    assert.deepEqual(plan.threads, [0, 0, 0]);
    assert.equal(plan.slotted, 2);
  });
});

function carrier(overrides: Partial<CarrierView> = {}): CarrierView {
  return {
    phase: 'ready',
    quota: 1,
    outstanding: 0,
    unstarted: 0,
    running: 0,
    stuck: false,
    doomed: false,
    ...overrides,
  };
}

describe('starting carriers', () => {
  test('while there are more tasks than slots, as many as the free slot shares allow', () => {
    assert.equal(carriersToStart([], 0, [2, 2]), 0);
    assert.equal(carriersToStart([], 1, [2, 2]), 1);
    assert.equal(carriersToStart([], 3, [2, 2]), 2);
    assert.equal(carriersToStart([], 100, [2, 2]), 2);
    // A starting carrier's slots count; a retiring one's do not.
    assert.equal(carriersToStart([carrier({ phase: 'starting', quota: 2 })], 2, [2]), 0);
    assert.equal(
      carriersToStart([carrier({ phase: 'retiring', quota: 2, outstanding: 2 })], 1, [2]),
      1,
    );
  });

  test('a doomed carrier counts neither its slots nor its tasks: its replacement starts early', () => {
    const doomed = carrier({ quota: 2, outstanding: 1, running: 1, doomed: true });
    assert.equal(carriersToStart([doomed], 1, [2]), 1);
    assert.equal(carriersToStart([doomed], 0, [2]), 0);
    // Without the abort, its free slot would take the task.
    assert.equal(carriersToStart([{ ...doomed, doomed: false }], 1, [2]), 0);
  });

  test('another carrier for waiting tasks only when every started one is busy with its own', () => {
    assert.equal(everyCarrierBusy([carrier({ running: 1 })]), true);
    assert.equal(everyCarrierBusy([carrier({ running: 1 }), carrier({ unstarted: 3 })]), false);
    assert.equal(everyCarrierBusy([carrier({ phase: 'starting' })]), false);
    assert.equal(everyCarrierBusy([carrier({ phase: 'stopping' }), carrier({ running: 2 })]), true);
  });
});

describe('taking back', () => {
  test('from stuck carriers holding unstarted tasks, when there is another carrier', () => {
    const stuck = carrier({ stuck: true, unstarted: 3, outstanding: 4, running: 1 });
    assert.deepEqual(stuckCarriers([stuck, carrier()]), [0]);
    assert.deepEqual(stuckCarriers([stuck]), []);
    assert.deepEqual(stuckCarriers([carrier({ stuck: true }), carrier()]), []);
    assert.deepEqual(stuckCarriers([{ ...stuck, phase: 'stopping' }, carrier()]), []);
  });

  test('for an idle carrier, from the one that cannot start what it holds', () => {
    const idle = carrier({ quota: 2 });
    const slotsFull = carrier({ quota: 2, outstanding: 4, running: 2, unstarted: 2 });
    assert.deepEqual(takeBackPair([slotsFull, idle]), { thief: 1, victim: 0 });
    const stuck = carrier({ quota: 2, outstanding: 3, running: 1, unstarted: 2, stuck: true });
    assert.deepEqual(takeBackPair([idle, stuck]), { thief: 0, victim: 1 });
  });

  test('from a doomed carrier, whatever it could start; a doomed carrier is never a thief', () => {
    const doomed = carrier({ quota: 4, outstanding: 3, running: 1, unstarted: 2, doomed: true });
    assert.deepEqual(takeBackPair([doomed, carrier({ quota: 2 })]), { thief: 1, victim: 0 });
    const slotsFull = carrier({ quota: 2, outstanding: 4, running: 2, unstarted: 2 });
    assert.equal(takeBackPair([carrier({ quota: 2, doomed: true }), slotsFull]), undefined);
  });

  test('never from a carrier still receiving its batch (it would only be sent back and forth)', () => {
    const receiving = carrier({ quota: 1, outstanding: 4, running: 0, unstarted: 4 });
    assert.equal(takeBackPair([receiving, carrier()]), undefined);
  });

  test('from a carrier still starting: what it was sent waits for its start-up (milliseconds)', () => {
    const starting = carrier({
      phase: 'starting',
      quota: 2,
      outstanding: 2,
      running: 0,
      unstarted: 2,
    });
    assert.deepEqual(takeBackPair([starting, carrier({ quota: 2 })]), { thief: 1, victim: 0 });
    // Never a thief while starting, and nothing to take from one that holds nothing.
    assert.equal(
      takeBackPair([carrier({ phase: 'starting' }), carrier({ phase: 'starting' })]),
      undefined,
    );
  });

  test('no thief: none has a free slot, or each has unstarted tasks of its own, or is stuck', () => {
    const full = carrier({ outstanding: 1, running: 1 });
    const victim = carrier({ outstanding: 3, running: 1, unstarted: 2, stuck: true });
    assert.equal(takeBackPair([full, victim]), undefined);
    assert.equal(takeBackPair([carrier({ stuck: true }), victim]), undefined);
    assert.equal(takeBackPair([carrier({ phase: 'starting' }), victim]), undefined);
  });
});

describe('cutting the last wave of a map into pieces', () => {
  test('once fewer tasks are queued than there are slots: pieces of about calls / slots', () => {
    // ThreadPool(100) on 2 threads, 1,000 items in chunks of 3: the last 34 chunks hold 100
    // calls, which fit the 100 slots at once: single items.
    assert.equal(lastWavePieceSize(wave(100, 34, 100, 2)), 1);
    assert.equal(lastWavePieceSize(wave(99, 33, 100, 2)), 1);
    // 64 fib calls in 8 chunks of 8 on 2 threads of 1 slot: the last chunk, cut in two.
    assert.equal(lastWavePieceSize(wave(8, 1, 2, 2)), 4);
    // 7 chunks of 32 left on 8 slots: pieces of 28 at most.
    assert.equal(lastWavePieceSize(wave(224, 7, 8, 2)), 28);
  });

  test('not while the queue has a task for every slot, nor with one carrier, nor without chunks', () => {
    assert.equal(lastWavePieceSize(wave(400, 134, 100, 2)), 0);
    assert.equal(lastWavePieceSize(wave(100, 100, 100, 2)), 0);
    // One carrier: its own free slots already help its chunks along.
    assert.equal(lastWavePieceSize(wave(100, 34, 100, 1)), 0);
    // Single calls only: nothing to cut.
    assert.equal(lastWavePieceSize(wave(4, 4, 8, 2)), 0);
    assert.equal(lastWavePieceSize(wave(0, 0, 8, 2)), 0);
  });

  test('a chunk is cut only into two pieces or more, never into a piece and a sliver', () => {
    assert.equal(cutsChunk(2, 1), true);
    assert.equal(cutsChunk(8, 4), true);
    assert.equal(cutsChunk(3, 2), false);
    // 99 chunks of 2,000 on 100 slots: pieces of 1,980 would leave slivers of 20.
    assert.equal(cutsChunk(2000, lastWavePieceSize(wave(99 * 2000, 99, 100, 2))), false);
    // 50 of them: halves.
    assert.equal(cutsChunk(2000, lastWavePieceSize(wave(50 * 2000, 50, 100, 2))), true);
    assert.equal(cutsChunk(1, 0), false);
  });

  test('tasks a carrier holds unstarted count as queued: they start first', () => {
    // 2 threads of 2 slots; one holds 4 chunks beyond its slots (a read-ahead) while the last 2
    // chunks are queued. Cut now, the other thread would run the pieces before those 4 chunks.
    assert.equal(lastWavePieceSize({ ...wave(4, 2, 4, 2), held: 4 }), 0);
    assert.equal(lastWavePieceSize({ ...wave(4, 2, 4, 2), held: 2 }), 0);
    // Once what is held and queued no longer fills the slots, the queued chunks are cut.
    assert.equal(lastWavePieceSize({ ...wave(4, 2, 4, 2), held: 1 }), 1);
  });
});
