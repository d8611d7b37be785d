// The engine and its scheduler around an aborted task in its abortGrace, over fake carriers (no
// threads): the test says which of the tasks sent to a carrier have started, so that a task can
// stay "on its way" to a carrier as long as the test needs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ThreadState } from '../../src/threads/thread-handle.js';
import { type FakeCarrier, fakePool } from './fake-carriers.js';

function setUp(abortGrace: number) {
  return fakePool({ workers: 4, threads: 2, abortGrace });
}

describe('a carrier with an aborted task in its grace', () => {
  test('gives back at once what it has not started, and gets new tasks last', async () => {
    const { engine, carriers, submit, turn } = setUp(60_000);
    // Two carriers of two slots, both ready.
    const warm = [submit(), submit(), submit()];
    await turn();
    for (const carrier of carriers) engine.threadReady(carrier);
    await turn();
    const [a, b] = carriers as [FakeCarrier, FakeCarrier];
    a.startAll();
    b.startAll();
    for (const task of warm) (task.thread as FakeCarrier).finish(task, 0);
    await turn();
    assert.equal(a.outstanding.size + b.outstanding.size, 0);
    // The task to abort starts on `a`; then one more goes to each, and the one sent to `a` is
    // still on its way when the abort comes.
    const controller = new AbortController();
    const aborted = submit(controller.signal);
    await turn();
    assert.equal(aborted.thread, a);
    a.startAll();
    const onB = submit();
    const onItsWay = submit();
    await turn();
    assert.equal(onB.thread, b);
    assert.equal(onItsWay.thread, a);
    b.startAll();
    controller.abort('stop');
    await turn();
    assert.equal(onItsWay.thread, b, 'taken back from the doomed carrier, sent to the other');
    assert.equal(a.abortsInGrace, 1);
    // No other carrier has a free slot now: the doomed one's is used, as without the abort.
    b.startAll();
    const fallback = submit();
    await turn();
    assert.equal(fallback.thread, a);
    a.startAll();
    // The aborted task ends in time: its carrier is like any other again.
    a.finish(aborted, 'late');
    await turn();
    assert.equal(a.abortsInGrace, 0);
    b.finish(onB, 0);
    b.finish(onItsWay, 0);
    a.finish(fallback, 0);
    await turn();
    const next = [submit(), submit()];
    await turn();
    assert.deepEqual(
      next.map((task) => task.thread),
      [a, b],
    );
    await engine.terminate();
  });

  test('when the grace runs out, what it has not started is taken back before it stops', async () => {
    const { engine, carriers, submit, settled, turn } = setUp(30);
    const controller = new AbortController();
    const first = submit(controller.signal);
    await turn();
    const [a] = carriers as [FakeCarrier];
    engine.threadReady(a);
    await turn();
    assert.equal(first.thread, a);
    a.startAll();
    controller.abort('stop');
    await turn();
    // The other carrier (started for the queue) has not started yet: what is issued waits for
    // it rather than start on the doomed one.
    const waiting = [submit(), submit()];
    await turn();
    assert.equal(carriers.length, 2, 'its replacement started early');
    assert.deepEqual(
      waiting.map((task) => task.thread),
      [null, null],
    );
    const b = carriers[1] as FakeCarrier;
    engine.threadReady(b);
    await turn();
    assert.deepEqual(
      waiting.map((task) => task.thread),
      [b, b],
    );
    b.startAll();
    // `b` full: the doomed carrier's free slot takes the next one, still on its way at the end.
    const beside = submit();
    await turn();
    assert.equal(beside.thread, a);
    await delay(60);
    assert.equal(a.state, ThreadState.Stopping);
    assert.notEqual(beside.thread, a, 'taken back before the stop');
    await turn();
    assert.equal(settled.has(beside), false, 'it did not fail with the carrier');
    await engine.terminate();
  });
});
