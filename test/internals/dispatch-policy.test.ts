// The dispatch policy on its own: plain numbers in, thread indices out, no threads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_READ_AHEAD,
  planDispatch,
  READ_AHEAD_MS,
  readAheadFor,
  type ThreadLoad,
} from '../../src/engine/dispatch-policy.js';

function thread(overrides: Partial<ThreadLoad> = {}): ThreadLoad {
  return {
    quota: 1,
    outstanding: 0,
    available: true,
    inSyncCode: false,
    lifetimeRoom: Number.POSITIVE_INFINITY,
    readAhead: 0,
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

  test('never beyond what is waiting', () => {
    const plan = planDispatch([thread({ quota: 2, readAhead: 100 })], 3);
    assert.deepEqual(plan.threads, [0, 0, 0]);
    assert.equal(plan.slotted, 2);
  });
});
