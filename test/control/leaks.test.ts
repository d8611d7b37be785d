// A long-lived signal used for very many calls holds no listener for a call that has settled, and
// timed tasks leave no timer behind.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { ThreadPool } from 'spindle';

function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

for (const threads of [1, 0]) {
  test(`100k calls on one signal leave no listener (threads: ${threads})`, {
    timeout: 120_000,
  }, async () => {
    await using pool = new ThreadPool({ workers: 4, threads });
    const controller = new AbortController();
    const signal = controller.signal;
    await pool.apply((x: number) => x, [0], { signal, timeout: 60_000 });
    const timersBefore = timers();
    const batch = 10_000;
    let maxListeners = 0;
    for (let done = 0; done < 100_000; done += batch) {
      const calls = [];
      for (let i = 0; i < batch; i++) {
        calls.push(pool.applyAsync((x: number) => x, [i], { signal, timeout: 60_000 }));
      }
      maxListeners = Math.max(maxListeners, getEventListeners(signal, 'abort').length);
      await Promise.all(calls);
      assert.equal(getEventListeners(signal, 'abort').length, 0, `after ${done + batch} calls`);
    }
    assert.ok(maxListeners > 0, 'the calls in flight did listen');
    await pool.map(
      (x: number) => x,
      Array.from({ length: 1000 }, (_, i) => i),
      { signal, chunksize: 1 },
    );
    assert.equal(getEventListeners(signal, 'abort').length, 0, 'after a map');
    for await (const _ of pool.imap((x: number) => x, [1, 2, 3], { signal })) {
      // consumed in full
    }
    assert.equal(getEventListeners(signal, 'abort').length, 0, 'after an imap');
    const early = pool.imap((x: number) => x, [1, 2, 3], { signal });
    await early.next();
    await early.return();
    // Its tasks already started run on, and can still be aborted: the listener goes with them.
    const { queued, running } = pool.stats();
    if (queued + running > 0)
      await new Promise<void>((resolve) => pool.once('idle', () => resolve()));
    assert.equal(getEventListeners(signal, 'abort').length, 0, 'after an imap left early');
    assert.ok(
      timers() <= timersBefore,
      `no timer left (${timersBefore} before, ${timers()} after)`,
    );
  });
}
