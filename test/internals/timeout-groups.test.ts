// Timed tasks sent about together with the same limit share one timer; a task leaves its group
// when it settles, and a group left empty clears its timer and is forgotten.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TimeoutGroups } from '../../src/control/timeout-groups.js';
import { Task } from '../../src/engine/task.js';
import type { FunctionRecord } from '../../src/functions/functions.js';

const inc = (x: unknown) => x;
const task = (index: number) =>
  new Task(inc, {} as FunctionRecord, 0, [index], undefined, null, index);
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('timeout groups', () => {
  test('tasks added together share one timer; those still in the group are due', async () => {
    const due: Task[][] = [];
    const groups = new TimeoutGroups((tasks, limit) => {
      assert.equal(limit, 30);
      due.push([...tasks]);
    });
    const before = timers();
    const tasks = [0, 1, 2, 3, 4].map(task);
    // Sent in one dispatch, which reads the clock once.
    const now = performance.now();
    for (const one of tasks) groups.add(one, 30, now);
    assert.equal(timers(), before + 1, 'one timer for the five');
    // Leaving from the middle and from the end keeps the others in.
    groups.remove(tasks[1] as Task);
    groups.remove(tasks[4] as Task);
    groups.remove(tasks[1] as Task); // Twice: nothing more happens.
    // Due 30 ms on; later on a loaded machine.
    for (let waited = 0; due.length === 0 && waited < 5000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(due.length, 1);
    assert.deepEqual(
      due[0]?.map((one) => one.index).sort(),
      [0, 2, 3],
      'the tasks still in the group, each once',
    );
    for (const one of due[0] as Task[]) assert.equal(one.timeoutGroup, undefined);
    assert.equal(groups.size, 0);
  });

  test('a group left empty clears its timer; limits of their own leave nothing behind', () => {
    const groups = new TimeoutGroups(() => assert.fail('no task is due'));
    const before = timers();
    const tasks = Array.from({ length: 100 }, (_, i) => task(i));
    const now = performance.now();
    for (const [i, one] of tasks.entries()) groups.add(one, 1000 + (i % 10), now);
    assert.equal(groups.size, 10);
    for (const one of tasks) groups.remove(one);
    assert.equal(groups.size, 0);
    assert.equal(timers(), before, 'no timer left');
    // Added again after emptying: a new group, with a timer of its own, cleared in turn.
    const again = task(0);
    groups.add(again, 1000, performance.now());
    assert.equal(timers(), before + 1);
    groups.remove(again);
    assert.equal(timers(), before);
  });
});
