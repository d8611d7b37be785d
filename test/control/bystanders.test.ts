// Tasks issued while an aborted task that ignores its signal is in its abortGrace: its thread (or
// process) is doomed, stopped when the grace runs out with every task it has started. They go to
// another thread when one can take them, and succeed; with no other thread, they still settle,
// as documented (a task that starts beside the aborted one fails with its thread, one that waits
// for a slot runs on the replacement). And once an aborted task ends in time, its thread is like
// any other again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ThreadPool, WorkerExitError } from 'spindle';
import { hosts, rejection, T, until } from '../helpers.js';

/** Never settles and never looks at its signal: only stopping its thread (or process) ends it. */
function ignoresItsAbort(): Promise<never> {
  return new Promise<never>(() => {});
}

/** Where it ran (process and thread), after `ms`. */
async function whereAfter(ms: number): Promise<string> {
  const { threadId } = await import('node:worker_threads');
  await new Promise((resolve) => setTimeout(resolve, ms));
  return `${process.pid}/${threadId}`;
}

/** Sees its abort, and ends a little later (well within the grace). */
async function endsSoonAfterItsAbort(): Promise<string> {
  const { signal } = await import('spindle/task');
  const own = signal();
  await new Promise((resolve) => {
    if (own.aborted) resolve(undefined);
    else own.addEventListener('abort', resolve);
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  return 'ended';
}

/** Until both carriers have run a task (a process may start later than the first tasks end). */
async function bothStarted(pool: ThreadPool): Promise<void> {
  const seen = new Set<unknown>();
  const deadline = Date.now() + 20_000;
  while (seen.size < 2) {
    assert.ok(Date.now() < deadline, 'both threads started');
    const where = await Promise.all([1, 2, 3, 4].map(() => pool.apply(whereAfter, [200])));
    for (const one of where) seen.add(one);
  }
}

/**
 * Issues `task` with a signal, waits until it runs, then aborts it (its call rejects at once);
 * `started`: checks made once it runs, before the abort.
 */
async function startThenAbort(
  pool: ThreadPool,
  task: () => Promise<unknown>,
  started?: () => void,
): Promise<void> {
  const controller = new AbortController();
  const aborted = pool.apply(task, [], { signal: controller.signal });
  await until(() => pool.stats().running === 1, 10_000, 'the task to start');
  started?.();
  controller.abort('stop');
  assert.equal(await rejection(aborted), 'stop');
}

/**
 * What the pool's threads did, with times, for a failure message: a test here that fails under
 * load should say in what order things happened.
 */
function timeline(pool: ThreadPool): () => string {
  const started = performance.now();
  const events: string[] = [];
  const at = () => `${(performance.now() - started).toFixed(1)} ms`;
  pool.on('threadStart', ({ name }) => events.push(`${at()} start ${name}`));
  pool.on('threadExit', ({ name, reason }) => events.push(`${at()} exit ${name} (${reason})`));
  return () => `${events.join('; ')}; at ${at()}: ${JSON.stringify(pool.stats())}`;
}

/** Awaits `calls`; if one fails, the failure says what the pool's threads did meanwhile. */
async function allWithTimeline<T>(calls: Promise<T>[], told: () => string): Promise<T[]> {
  try {
    return await Promise.all(calls);
  } catch (error) {
    assert.fail(`${String(error)}\n  threads: ${told()}`);
  }
}

for (const host of hosts) {
  const carrier = host.name === 'threads' ? 'thread' : 'process';

  describe(`tasks issued during an abort's grace (${host.name})`, () => {
    test(`go to another ${carrier}, started for them, and succeed`, T, async () => {
      // Two threads of two slots each: the first one alone serves the aborted task, and it has
      // a free slot.
      await using pool = host.pool({ threads: 2, workers: 4, abortGrace: 1000 });
      const told = timeline(pool);
      await startThenAbort(pool, ignoresItsAbort, () => {
        assert.equal(pool.stats().threads.live, 1);
      });
      // They outlast the grace: on the doomed thread they would fail with it.
      const during = [pool.apply(whereAfter, [1500]), pool.apply(whereAfter, [1500])];
      const where = await allWithTimeline(during, told);
      assert.equal(where[0], where[1], 'both on the thread started for them');
      await until(() => pool.stats().threads.replaced === 1, 10_000, 'the doomed thread to go');
      assert.equal(await pool.apply((x: number) => x + 1, [41]), 42);
    });

    test(`go to the other ${carrier} when both run`, T, async () => {
      await using pool = host.pool({ threads: 2, workers: 4, abortGrace: 1000 });
      const told = timeline(pool);
      await bothStarted(pool);
      await startThenAbort(pool, ignoresItsAbort);
      // The other thread has two free slots, the doomed one a third.
      const during = [pool.apply(whereAfter, [1500]), pool.apply(whereAfter, [1500])];
      const where = await allWithTimeline(during, told);
      assert.equal(where[0], where[1], 'both on the other thread');
      await until(() => pool.stats().threads.replaced === 1, 10_000, 'the doomed thread to go');
      assert.equal(await pool.apply((x: number) => x + 1, [41]), 42);
    });

    test(
      `with one ${carrier}, still settle: beside the aborted task, or on the replacement`,
      T,
      async () => {
        await using pool = host.pool({ threads: 1, workers: 2, abortGrace: 1500 });
        await startThenAbort(pool, ignoresItsAbort);
        // No other thread: the free slot beside it is used at once, as without the abort.
        const issued = Date.now();
        assert.equal(await pool.apply((x: number) => x + 1, [41]), 42);
        assert.ok(Date.now() - issued < 1000, 'without waiting for the grace');
        // One that outlasts the grace fails with the thread, saying why (as documented).
        const error = await rejection(pool.apply(whereAfter, [4000]));
        assert.ok(error instanceof WorkerExitError, String(error));
        assert.match(
          String((error.cause as Error).message),
          /ignoresItsAbort.*aborted \(stop\).*abortGrace \(1500 ms\)/,
        );
        assert.equal(pool.stats().threads.replaced, 1);
        assert.equal(await pool.apply((x: number) => x * 2, [21]), 42);
      },
    );

    test(`with one ${carrier} of one slot, the queue runs on the replacement`, T, async () => {
      await using pool = host.pool({ threads: 1, workers: 1, abortGrace: 300 });
      await startThenAbort(pool, ignoresItsAbort);
      const during = [1, 2, 3].map((x) => pool.apply((y: number) => y * 10, [x]));
      assert.deepEqual(await Promise.all(during), [10, 20, 30]);
      assert.equal(pool.stats().threads.replaced, 1);
    });

    test(`once the aborted task ends in time, its ${carrier} is like any other`, T, async () => {
      await using pool = host.pool({ threads: 2, workers: 4, abortGrace: 5000 });
      await bothStarted(pool);
      await startThenAbort(pool, endsSoonAfterItsAbort);
      // Two tasks at once go to both threads (the freest first), once the aborted one has
      // ended: while its thread is doomed, both go to the other.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const pair = await Promise.all([
          pool.apply(whereAfter, [50]),
          pool.apply(whereAfter, [50]),
        ]);
        if (pair[0] !== pair[1]) break;
        assert.ok(Date.now() < deadline, 'its thread is given work again');
      }
      assert.equal(pool.stats().threads.replaced, 0);
      assert.equal(pool.stats().threads.live, 2);
    });
  });
}
