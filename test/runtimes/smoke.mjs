// The core API against the built package, for runtimes other than the Node.js the suite runs on
// (Bun, Deno): `<runtime> test/runtimes/smoke.mjs`. Prints one line per check, exits 1 on the
// first failure, and must exit by itself (its caller runs it under a timeout: a hang fails).
import assert from 'node:assert/strict';
import {
  asCompleted,
  fromModule,
  InvalidStateError,
  ThreadPool,
  ThreadPoolExecutor,
} from '../../dist/lib/spindle.js';

const runtime =
  typeof globalThis.Deno === 'object'
    ? `deno ${globalThis.Deno.version.deno}`
    : typeof globalThis.Bun === 'object'
      ? `bun ${globalThis.Bun.version}`
      : `node ${process.version}`;
console.log(`spindle smoke test on ${runtime}`);

async function check(name, body) {
  await body();
  console.log(`ok - ${name}`);
}

const tasks = fromModule(new URL('./tasks.mjs', import.meta.url));

const pool = new ThreadPool({ workers: 4, threads: 2 });

await check('apply', async () => {
  assert.equal(await pool.apply((a, b) => a * b, [6, 7]), 42);
});

await check('applyAsync with a callback', async () => {
  const seen = [];
  const result = pool.applyAsync((x) => x + 1, [1], { callback: (value) => seen.push(value) });
  assert.equal(await result.get(5_000), 2);
  // The callback runs once the step that settled the task is done: by the next turn at the latest.
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, [2]);
  assert.equal(result.successful(), true);
});

await check('map (chunked)', async () => {
  const input = Array.from({ length: 100 }, (_, i) => i);
  assert.deepEqual(
    await pool.map((x) => x * 2, input, 7),
    input.map((x) => x * 2),
  );
});

await check('imap and imapUnordered', async () => {
  const ordered = [];
  for await (const value of pool.imap((x) => x * 3, [1, 2, 3, 4])) ordered.push(value);
  assert.deepEqual(ordered, [3, 6, 9, 12]);
  const unordered = await pool.imapUnordered((x) => -x, [1, 2, 3]).toArray();
  assert.deepEqual(
    unordered.sort((a, b) => a - b),
    [-3, -2, -1],
  );
});

await check('starmap', async () => {
  assert.deepEqual(
    await pool.starmap(
      (a, b) => `${a}${b}`,
      [
        ['a', 1],
        ['b', 2],
      ],
    ),
    ['a1', 'b2'],
  );
});

await check('a task module (fromModule)', async () => {
  assert.deepEqual(await pool.map(tasks.square, [1, 2, 3]), [1, 4, 9]);
  assert.equal(await pool.apply(tasks.later, [1, 5]), 2);
});

await check('an error propagates with its class, message and stack', async () => {
  const error = await pool
    .apply(() => {
      throw new RangeError('out of range in a thread');
    })
    .then(
      () => undefined,
      (thrown) => thrown,
    );
  assert.ok(error instanceof RangeError, `expected a RangeError, got ${error}`);
  assert.equal(error.message, 'out of range in a thread');
  assert.match(String(error.stack), /out of range in a thread/);
  const failed = pool.applyAsync(() => {
    throw new TypeError('bad');
  });
  await failed.wait(5_000);
  assert.equal(failed.successful(), false);
});

await check('close and join', async () => {
  const pending = pool.map(async (x) => x, [1, 2, 3]);
  pool.close();
  assert.throws(() => pool.apply((x) => x, [1]), InvalidStateError);
  await pool.join();
  assert.deepEqual(await pending, [1, 2, 3]);
});

await check('terminate rejects what has not finished', async () => {
  const other = new ThreadPool(2);
  const endless = other.apply(() => new Promise(() => {}));
  endless.catch(() => {});
  assert.equal(await other.apply((x) => x, ['up']), 'up');
  await other.terminate();
  await assert.rejects(endless);
  await other.join();
});

await check('executor submit, map and asCompleted', async () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 4 });
  const future = executor.submit((x) => x * 100, 4);
  assert.equal(await future.result(5_000), 400);
  assert.deepEqual(await executor.map((x, y) => x + y, [1, 2], [10, 20]).toArray(), [11, 22]);
  const futures = [30, 10, 20].map((ms) =>
    executor.submit(async (wait) => {
      await new Promise((resolve) => setTimeout(resolve, wait));
      return wait;
    }, ms),
  );
  const completed = [];
  for await (const done of asCompleted(futures)) completed.push(await done.result());
  assert.deepEqual(
    completed.sort((a, b) => a - b),
    [10, 20, 30],
  );
  const failing = executor.submit(() => {
    throw new Error('from a future');
  });
  assert.equal((await failing.exception(5_000))?.message, 'from a future');
  await executor.shutdown({ wait: true });
});

await check('signal, timeout, progress and stats', async () => {
  const controlled = new ThreadPool({ workers: 2, threads: 1, abortGrace: 100 });
  const controller = new AbortController();
  const waiting = controlled.apply(() => new Promise(() => {}), [], { signal: controller.signal });
  controller.abort(new Error('cancelled'));
  await assert.rejects(waiting, /cancelled/);
  const endless = controlled.apply(
    () => {
      for (;;) {}
    },
    [],
    { timeout: 100 },
  );
  await assert.rejects(endless, { name: 'TimeoutError' });
  const seen = [];
  const counted = await controlled.apply(
    async (n) => {
      const { progress } = await import('spindle/task');
      for (let i = 1; i <= n; i++) progress(i);
      return n;
    },
    [3],
    { onProgress: (value) => seen.push(value) },
  );
  assert.equal(counted, 3);
  assert.deepEqual(seen, [1, 2, 3]);
  const stats = controlled.stats();
  assert.deepEqual(
    [stats.completed, stats.failed, stats.cancelled, stats.queued, stats.running],
    [1, 1, 1, 0, 0],
  );
  await controlled.terminate();
});

console.log('smoke test passed: the process should now exit by itself');
