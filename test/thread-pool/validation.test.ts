import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ThreadPool } from 'spindle';
import { T } from '../helpers.js';

const BAD_COUNTS: unknown[] = [0, -1, 1.5, Number.NaN, '4', null, Number.POSITIVE_INFINITY];

function expectError(
  call: () => unknown,
  kinds: (typeof TypeError | typeof RangeError)[],
  pattern: RegExp,
) {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught, 'expected a synchronous throw');
  assert.ok(
    kinds.some((kind) => caught instanceof kind),
    `expected ${kinds.map((k) => k.name).join(' or ')}, got ${String(caught)}`,
  );
  assert.match((caught as Error).message, pattern);
}

describe('bad input is a clear, early error', () => {
  const pool = new ThreadPool(2);
  after(() => pool.terminate());

  test('workers, threads, maxTasksPerThread, initializerTimeout, idleTimeout', T, () => {
    for (const value of BAD_COUNTS) {
      if (value === null) continue;
      expectError(
        () => new ThreadPool(value as number),
        [TypeError, RangeError],
        /Expected `workers` to be an integer >= 1, got/,
      );
      expectError(
        () => new ThreadPool({ workers: value as number }),
        [TypeError, RangeError],
        /`workers`/,
      );
      expectError(
        () => new ThreadPool({ maxTasksPerThread: value as number }),
        [TypeError, RangeError],
        /`maxTasksPerThread`/,
      );
    }
    for (const value of [-1, 1.5, Number.NaN, '4']) {
      expectError(
        () => new ThreadPool({ threads: value as number }),
        [TypeError, RangeError],
        /`threads` to be an integer >= 0/,
      );
      expectError(
        () => new ThreadPool({ idleTimeout: value as number }),
        [TypeError, RangeError],
        /`idleTimeout`/,
      );
    }
    expectError(() => new ThreadPool({ workers: 0 }), [RangeError], /got `0` \(number\)/);
    expectError(
      () => new ThreadPool({ workers: '4' as unknown as number }),
      [TypeError],
      /got `"4"` \(string\)/,
    );
    expectError(
      () => new ThreadPool({ initializer: 5 as unknown as () => void }),
      [TypeError],
      /`initializer` to be a function/,
    );
    expectError(
      () => new ThreadPool({ initargs: 5 as unknown as [] }),
      [TypeError],
      /`initargs` to be an array/,
    );
    expectError(
      () => new ThreadPool({ name: 5 as unknown as string }),
      [TypeError],
      /`name` to be a string/,
    );
    expectError(
      () => new ThreadPool({ resourceLimits: { maxOldGenerationSizeMb: -5 } }),
      [RangeError],
      /resourceLimits.maxOldGenerationSizeMb/,
    );
    expectError(
      () => new ThreadPool({ wrkers: 2 } as unknown as { workers: number }),
      [TypeError],
      /Unknown option `wrkers`/,
    );
    expectError(
      () => new ThreadPool('4' as unknown as number),
      [TypeError],
      /Expected `workers` to be an integer >= 1, got `"4"` \(string\)/,
    );
    expectError(() => new ThreadPool({ initializer: Math.max }), [TypeError], /native or bound/);
  });

  test('a non-function task is a TypeError, with a hint when a call result was passed', T, () => {
    const task = () => 'all done';
    expectError(
      () => pool.apply(task() as unknown as () => void),
      [TypeError],
      /pass `task`, not `task\(\)`/,
    );
    expectError(
      () => pool.applyAsync(undefined as unknown as () => void),
      [TypeError],
      /Expected `fn` to be a function, got `undefined`/,
    );
    expectError(() => pool.map(null as unknown as (x: number) => number, [1]), [TypeError], /`fn`/);
    expectError(() => pool.imap({} as unknown as (x: number) => number, [1]), [TypeError], /`fn`/);
    expectError(() => pool.starmap(42 as unknown as () => void, []), [TypeError], /`fn`/);
  });

  test('a non-iterable input is a TypeError', T, () => {
    for (const input of [5, null, undefined, {}, () => {}]) {
      expectError(
        () => pool.map((x: number) => x, input as unknown as number[]),
        [TypeError],
        /Expected `iterable` to be an iterable/,
      );
      expectError(
        () => pool.mapAsync((x: number) => x, input as unknown as number[]),
        [TypeError],
        /`iterable`/,
      );
      expectError(
        () => pool.imap((x: number) => x, input as unknown as number[]),
        [TypeError],
        /`iterable`/,
      );
      expectError(
        () => pool.imapUnordered((x: number) => x, input as unknown as number[]),
        [TypeError],
        /`iterable`/,
      );
      expectError(
        () => pool.starmap((x: number) => x, input as unknown as [number][]),
        [TypeError],
        /`iterable`/,
      );
      expectError(
        () => pool.starmapAsync((x: number) => x, input as unknown as [number][]),
        [TypeError],
        /`iterable`/,
      );
    }
  });

  test('chunksize must be an integer >= 1', T, () => {
    for (const chunksize of BAD_COUNTS) {
      if (chunksize === null) continue;
      expectError(
        () => pool.map((x: number) => x, [1], chunksize as number),
        [TypeError, RangeError],
        /`chunksize`/,
      );
      expectError(
        () => pool.map((x: number) => x, [1], { chunksize: chunksize as number }),
        [TypeError, RangeError],
        /`chunksize`/,
      );
      expectError(
        () => pool.imap((x: number) => x, [1], chunksize as number),
        [TypeError, RangeError],
        /`chunksize`/,
      );
      expectError(
        () => pool.starmapAsync((x: number) => x, [[1]], { chunksize: chunksize as number }),
        [TypeError, RangeError],
        /`chunksize`/,
      );
    }
  });

  test('args, options and callbacks are checked', T, () => {
    expectError(
      () => pool.apply((x: number) => x, 5 as unknown as [number]),
      [TypeError],
      /`args` to be an array/,
    );
    expectError(
      () => pool.applyAsync(() => 1, [], { callback: 5 as unknown as () => void }),
      [TypeError],
      /`callback` to be a function/,
    );
    expectError(
      () => pool.applyAsync(() => 1, [], { errorCallback: 'x' as unknown as () => void }),
      [TypeError],
      /`errorCallback`/,
    );
    expectError(
      () => pool.applyAsync(() => 1, [], { chunksize: 2 } as unknown as object),
      [TypeError],
      /Unknown option `chunksize`/,
    );
    expectError(
      () => pool.map((x: number) => x, [1], { callback: () => {} } as unknown as object),
      [TypeError],
      /Unknown option `callback`/,
    );
    expectError(
      () => pool.apply(() => 1, [], { transfer: 5 as unknown as [] }),
      [TypeError],
      /`transfer`/,
    );
    expectError(
      () => pool.apply(() => 1, [], 'x' as unknown as object),
      [TypeError],
      /options object/,
    );
    // Built-in objects keep their data in internal slots: read as options they would be empty.
    for (const wrong of [new Map([['workers', 2]]), new Set(), new Date(0), Promise.resolve()]) {
      expectError(
        () => new ThreadPool(wrong as unknown as number),
        [TypeError],
        /Expected `options` to be an options object, got `(Map|Set|Date|Promise) object`/,
      );
    }
    expectError(
      () => pool.map((x: number) => x, [1], new Map() as unknown as object),
      [TypeError],
      /options object/,
    );
  });

  test('timeouts must be non-negative integers (ms)', T, async () => {
    const result = pool.applyAsync(() => 1);
    const iterator = pool.imap((x: number) => x, [1]);
    for (const timeout of [-1, 1.5, Number.NaN, '4']) {
      expectError(
        () => result.get(timeout as number),
        [TypeError, RangeError],
        /`timeout` to be a non-negative integer/,
      );
      expectError(() => result.wait(timeout as number), [TypeError, RangeError], /`timeout`/);
      expectError(() => iterator.next(timeout as number), [TypeError, RangeError], /`timeout`/);
    }
    assert.equal(await result.get(), 1);
    assert.deepEqual(await iterator.next(), { done: false, value: 1 });
  });

  test('bad input leaves nothing pending and does not break the pool', T, async () => {
    for (let i = 0; i < 20; i++) {
      assert.throws(() => pool.map(5 as unknown as (x: number) => number, [1]));
    }
    assert.deepEqual(await pool.map((x: number) => x * 2, [1, 2, 3]), [2, 4, 6]);
    pool.close();
    await pool.join();
  });
});
