// A pool keeps the process alive while it has work, and only then: a carrier that starts or stops
// holds it until it is ready or has exited (a caller may await a task queued for its successor,
// or join()), an idle one never does. If a carrier let go of the process while a caller awaited
// it, the process would end there with that await pending (status 13): a task lost. If it held
// on with nothing to do, the process would never end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { delay, hosts, runScript, T } from '../helpers.js';
import { type FakeCarrier, fakePool } from '../internals/fake-carriers.js';

describe('a carrier on its way out holds the process until it has exited', () => {
  test('retired after maxTasksPerThread, whatever it reports before it exits', async () => {
    const { engine, carriers, submit, settled, turn } = fakePool({
      workers: 1,
      threads: 1,
      maxTasksPerThread: 1,
    });
    const first = submit();
    const second = submit();
    await turn();
    const a = carriers[0] as FakeCarrier;
    a.exitAtOnce = false;
    engine.threadReady(a);
    await turn();
    assert.equal(first.thread, a);
    assert.equal(second.thread, null, 'a carrier spent after one task takes no second one');
    a.startAll();
    a.finish(first, 1);
    await turn();
    assert.ok(a.stopRequested, 'retired: stopped once its task ended');
    assert.equal(a.busy, true, 'stopping, it holds the process');
    // What a thread may still post while it exits: start times, a result for a seq it no longer
    // holds. None of it makes it idle.
    a.reportNothingOfItsOwn();
    await turn();
    assert.equal(a.busy, true, 'a batch with nothing of its own in it let go of the process');
    assert.equal(settled.has(second), false);
    a.exit(0);
    await turn();
    const b = carriers[1] as FakeCarrier;
    assert.ok(b, 'its successor started for the task waiting');
    engine.threadReady(b);
    await turn();
    assert.equal(second.thread, b);
    b.startAll();
    b.finish(second, 2);
    await turn();
    assert.deepEqual(settled.get(second), [0, 2]);
    await engine.terminate();
  });

  test('stopped after idleTimeout, whatever it reports before it exits', async () => {
    const { engine, turn, warmCarrier } = fakePool({ workers: 1, threads: 1, idleTimeout: 20 });
    const a = await warmCarrier();
    // Told before its idleTimeout runs out: once stopped, it exits when the test says.
    a.exitAtOnce = false;
    assert.equal(a.busy, false, 'idle, it does not hold the process');
    await delay(80);
    assert.ok(a.stopRequested, 'stopped after idleTimeout');
    assert.equal(a.busy, true);
    a.reportNothingOfItsOwn();
    await turn();
    assert.equal(a.busy, true, 'a batch with nothing of its own in it let go of the process');
    a.exit(0);
    await engine.terminate();
  });
});

describe('a carrier whose tasks could not be sent is idle again', () => {
  test('it lets go of the process, and still idles out', async () => {
    const { engine, submit, settled, turn, warmCarrier } = fakePool({
      workers: 1,
      threads: 1,
      idleTimeout: 20,
    });
    const a = await warmCarrier();
    assert.equal(a.busy, false);
    // Its idle timer is running; the next task clears it when it is sent, and cannot be sent.
    const unsendable = submit(undefined, true);
    await turn();
    assert.equal((settled.get(unsendable) as [number, Error])[1].message, 'cannot be sent');
    assert.equal(a.outstanding.size, 0);
    assert.equal(a.busy, false, 'no result will come: it must not hold the process');
    await delay(80);
    assert.ok(a.stopRequested, 'its idleTimeout was armed again');
    await engine.terminate();
  });

  test('while it starts, it holds the process until it is ready', async () => {
    const { engine, carriers, submit, settled, turn } = fakePool({ workers: 1, threads: 1 }, true);
    // Sent while its carrier starts (as to a worker thread), and could not be.
    const unsendable = submit(undefined, true);
    await turn();
    const a = carriers[0] as FakeCarrier;
    assert.equal((settled.get(unsendable) as [number, Error])[1].message, 'cannot be sent');
    assert.equal(a.state, 0, 'still starting');
    assert.equal(a.busy, true, 'starting, it holds the process');
    engine.threadReady(a);
    await turn();
    assert.equal(a.busy, false, 'ready and with nothing to do, it lets go');
    await engine.terminate();
  });
});

for (const host of hosts) {
  describe(`${host.poolClass}: the process ends by itself after tasks that could not be sent`, () => {
    const size = host.name === 'threads' ? 'threads: 1' : 'processes: 1';

    test('an idle pool, after a task whose argument cannot be cloned', T, () => {
      const child = runScript(`
        import { ${host.poolClass} } from 'spindle';
        const pool = new ${host.poolClass}({ ${size} });
        console.log(await pool.apply((x) => x + 1, [1]));
        await new Promise((resolve) => setTimeout(resolve, 20));
        await pool.apply((x) => x, [Symbol('not cloneable')]).catch((error) => console.log(error.name));
        console.log(await pool.apply((x) => x * 2, [21]));
        await pool.apply((x) => x, [() => 'not cloneable']).catch((error) => console.log(error.name));
        // In one batch with one that can be sent, and runs a while: the process waits for it.
        const task = (x) => new Promise((resolve) => setTimeout(() => resolve(x), 300));
        const outcomes = await Promise.allSettled(
          [Symbol('not cloneable'), 'slow'].map((a) => pool.apply(task, [a])),
        );
        console.log(outcomes.map((o) => o.status === 'rejected' ? o.reason.name : o.value).join(' '));
      `);
      assert.equal(child.error, undefined, 'the process did not end by itself');
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(child.stdout.trim().split('\n'), [
        '2',
        'DataCloneError',
        '42',
        'DataCloneError',
        'DataCloneError slow',
      ]);
    });
  });
}

test(
  'ThreadPool: a batch its thread could not read: each task fails alone, the rest run, the process ends',
  T,
  () => {
    // Read on the thread, the batch is lost; its tasks are sent again one by one. The two deep
    // ones fail (the carrier, left with nothing, is idle for a moment); the one after them runs a
    // while: the process must wait for it, then end by itself.
    const child = runScript(`
      import { ThreadPool } from 'spindle';
      const pool = new ThreadPool({ workers: 4, threads: 1, resourceLimits: { stackSizeMb: 0.5 } });
      console.log(await pool.apply(() => 0));
      let deep = {};
      for (let k = 0; k < 3000; k++) deep = { deep };
      const task = (x) =>
        x === 'slow' ? new Promise((resolve) => setTimeout(() => resolve(x), 300)) : typeof x;
      const outcomes = await Promise.allSettled(
        [deep, deep, 'slow'].map((a) => pool.apply(task, [a])),
      );
      console.log(outcomes.map((o) => o.status === 'rejected' ? o.reason.name : o.value).join(' '));
    `);
    assert.equal(child.error, undefined, 'the process did not end by itself');
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(child.stdout.trim().split('\n'), ['0', 'DataCloneError DataCloneError slow']);
  },
);
