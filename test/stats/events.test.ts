// 'drain' and 'idle': when they fire (once per transition, 'drain' first), and what a listener may
// do: issue more work, terminate, throw (reported on 'error', the pool goes on).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ThreadPool, ThreadPoolExecutor } from 'spindle';
import { delay, Event, T, waitEvent } from '../helpers.js';

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  for (let waited = 0; !condition() && waited < ms; waited += 5) await delay(5);
  assert.ok(condition(), 'timed out waiting');
}

for (const threads of [2, 0]) {
  describe(`'drain' and 'idle' (threads: ${threads})`, () => {
    test('once per transition, drain before idle, after the results', T, async () => {
      const pool = new ThreadPool({ workers: 2, threads });
      const log: string[] = [];
      pool.on('drain', () => log.push('drain'));
      pool.on('idle', () => log.push(`idle ${pool.stats().queued + pool.stats().running}`));
      try {
        await delay(20);
        assert.equal(log.length, 0, 'a new pool is idle without an event');
        const results = Array.from({ length: 6 }, (_, i) =>
          pool.applyAsync((x: number) => x, [i], { callback: () => log.push('callback') }),
        );
        await Promise.all(results);
        await until(() => log.includes('idle 0'));
        assert.equal(log.filter((e) => e === 'callback').length, 6);
        // 'drain' when the last call was seen started (maybe before some results), 'idle' last,
        // after every result's callback.
        assert.equal(log.filter((e) => e === 'drain').length, 1);
        assert.ok(log.indexOf('drain') < log.indexOf('idle 0'));
        assert.equal(log[log.length - 1], 'idle 0');
        assert.equal(log.filter((e) => e.startsWith('idle')).length, 1);
        // A second burst: one more of each.
        await pool.map((x: number) => x, [1, 2, 3, 4, 5], 1);
        await until(() => log.filter((e) => e.startsWith('idle')).length === 2);
        assert.equal(log.filter((e) => e === 'drain').length, 2);
        await delay(30);
        assert.equal(log.filter((e) => e.startsWith('idle')).length, 2, 'no repeat while idle');
      } finally {
        await pool.terminate();
      }
    });

    test(
      "'drain' fires when the last queued call starts, before the running ones end",
      T,
      async () => {
        const executor = new ThreadPoolExecutor({ maxWorkers: 2, threads });
        const gate = new Event();
        const log: string[] = [];
        executor.on('drain', () => log.push(`drain running ${executor.stats().running}`));
        executor.on('idle', () => log.push('idle'));
        try {
          const futures = [1, 2, 3].map((i) => executor.submit(waitEvent, gate.sab, i));
          await until(() => executor.stats().running === 2);
          assert.equal(log.length, 0, 'one call still waits');
          // Freeing the slots lets the third start: drain comes when it is seen started, at latest
          // with the next result.
          gate.set();
          assert.deepEqual(await Promise.all(futures), [1, 2, 3]);
          await until(() => log.includes('idle'));
          assert.equal(log.filter((e) => e.startsWith('drain')).length, 1);
          assert.equal(log[log.length - 1], 'idle');
        } finally {
          await executor.shutdown();
        }
      },
    );

    test("issuing more work inside 'drain' and 'idle' (re-entrancy)", T, async () => {
      const pool = new ThreadPool({ workers: 2, threads });
      let rounds = 0;
      const done: number[] = [];
      pool.on('drain', () => {
        // Issued from the listener: counted, and its own drain/idle follow.
        if (rounds < 3) {
          rounds++;
          pool.applyAsync((x: number) => x * 10, [rounds], { callback: (v) => done.push(v) });
        }
      });
      let idles = 0;
      pool.on('idle', () => idles++);
      try {
        await pool.apply(() => 0);
        await until(() => done.length === 3 && idles >= 1 && pool.stats().running === 0);
        await delay(30);
        assert.deepEqual(done, [10, 20, 30]);
        const s = pool.stats();
        assert.equal(s.completed, 4);
        assert.equal(s.queued + s.running, 0);
        // Each idle edge was real: nothing was pending when it fired.
        assert.ok(idles >= 1 && idles <= 4);
      } finally {
        await pool.terminate();
      }
    });

    test("a throwing listener is reported on 'error' and never breaks the pool", T, async () => {
      const pool = new ThreadPool({ workers: 2, threads });
      const errors: unknown[] = [];
      pool.on('error', (error) => errors.push(error));
      pool.on('idle', () => {
        throw new Error('listener threw');
      });
      pool.on('threadStart', () => {
        throw new Error('start listener threw');
      });
      try {
        assert.equal(await pool.apply(() => 1), 1);
        await until(() => errors.length === 2);
        assert.deepEqual(errors.map((e) => (e as Error).message).sort(), [
          'listener threw',
          'start listener threw',
        ]);
        assert.deepEqual(await pool.map((x: number) => x + 1, [1, 2, 3]), [2, 3, 4]);
        assert.equal(pool.stats().completed, 4);
      } finally {
        await pool.terminate();
      }
    });
  });
}

describe('re-entrancy of thread events', () => {
  test("terminate() inside 'threadExit' while tasks are queued", T, async () => {
    const pool = new ThreadPool({ workers: 1, threads: 1 });
    let terminated: Promise<void> | undefined;
    pool.on('threadExit', (event) => {
      if (event.reason === 'crash') terminated = pool.terminate();
    });
    const dying = pool.applyAsync(() => process.exit(4));
    const queued = Array.from({ length: 5 }, (_, i) => pool.applyAsync((x: number) => x, [i]));
    const outcomes = await Promise.allSettled([dying, ...queued].map((r) => r.get()));
    await until(() => terminated !== undefined);
    await terminated;
    await pool.join();
    // Every call settled once: the dying one failed; the others ran or were cancelled.
    assert.equal(outcomes[0]?.status, 'rejected');
    const s = pool.stats();
    assert.equal(s.queued + s.running, 0);
    assert.equal(s.completed + s.failed + s.cancelled, 6);
    assert.equal(s.threads.live, 0);
  });

  test("issuing inside 'threadStart' and 'threadExit' (maxTasksPerThread)", T, async () => {
    const pool = new ThreadPool({ workers: 1, threads: 1, maxTasksPerThread: 2 });
    const extra: Promise<number>[] = [];
    pool.on('threadStart', () => {
      if (extra.length < 2) extra.push(pool.apply((x: number) => x, [100 + extra.length]));
    });
    pool.on('threadExit', () => {
      if (extra.length < 4) extra.push(pool.apply((x: number) => x, [100 + extra.length]));
    });
    try {
      assert.deepEqual(await pool.map((x: number) => x, [1, 2, 3, 4], 1), [1, 2, 3, 4]);
      await until(() => extra.length >= 4);
      assert.deepEqual((await Promise.all(extra)).sort(), [100, 101, 102, 103]);
    } finally {
      await pool.terminate();
    }
  });
});
