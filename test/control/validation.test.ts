// Bad control options are a TypeError or RangeError at the call, saying what was expected and
// what was received, and nothing is issued.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { ThreadPool, ThreadPoolExecutor } from 'spindle';

const fn = (x: number) => x;

test('signal must be an AbortSignal', async () => {
  await using pool = new ThreadPool({ workers: 1, threads: 0 });
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1, threads: 0 });
  const bad = { aborted: false } as unknown as AbortSignal;
  const message = /Expected `signal` to be an AbortSignal, got `plain object` \(object\)/;
  assert.throws(() => pool.apply(fn, [1], { signal: bad }), { name: 'TypeError', message });
  assert.throws(() => pool.applyAsync(fn, [1], { signal: bad }), TypeError);
  assert.throws(() => pool.map(fn, [1], { signal: bad }), TypeError);
  assert.throws(() => pool.mapAsync(fn, [1], { signal: bad }), TypeError);
  assert.throws(() => pool.starmap(fn, [[1]], { signal: bad }), TypeError);
  assert.throws(() => pool.starmapAsync(fn, [[1]], { signal: bad }), TypeError);
  assert.throws(() => pool.imap(fn, [1], { signal: bad }), TypeError);
  assert.throws(() => pool.imapUnordered(fn, [1], { signal: bad }), TypeError);
  assert.throws(() => executor.submitWith({ signal: bad }, fn, 1), TypeError);
  assert.throws(() => executor.map(fn, [1], { signal: bad }), TypeError);
  assert.throws(() => pool.apply(fn, [1], { signal: new AbortController() as never }), TypeError);
});

test('timeout must be a non-negative finite number', async () => {
  await using pool = new ThreadPool({ workers: 1, threads: 0 });
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1, threads: 0 });
  const expected = (got: string) =>
    new RegExp(
      `Expected \`timeout\` to be a non-negative finite number of milliseconds, got ${got}`,
    );
  assert.throws(() => pool.apply(fn, [1], { timeout: -1 }), {
    name: 'RangeError',
    message: expected('`-1` \\(number\\)'),
  });
  assert.throws(() => pool.applyAsync(fn, [1], { timeout: Number.NaN }), RangeError);
  assert.throws(() => pool.map(fn, [1], { timeout: Number.POSITIVE_INFINITY }), RangeError);
  assert.throws(() => pool.imap(fn, [1], { timeout: '5' as never }), {
    name: 'TypeError',
    message: expected('`"5"` \\(string\\)'),
  });
  assert.throws(() => executor.submitWith({ timeout: -5 }, fn, 1), RangeError);
  // A limit longer than a timer can wait is no limit.
  assert.equal(await pool.apply(fn, [3], { timeout: 2 ** 40 }), 3);
  assert.equal(await pool.apply(fn, [4], { timeout: 0.5 }), 4);
});

test('abortGrace must be a non-negative finite number', () => {
  assert.throws(() => new ThreadPool({ abortGrace: -1 }), {
    name: 'RangeError',
    message:
      /Expected `abortGrace` to be a non-negative finite number of milliseconds, got `-1` \(number\)/,
  });
  assert.throws(() => new ThreadPool({ abortGrace: Number.POSITIVE_INFINITY }), RangeError);
  assert.throws(() => new ThreadPool({ abortGrace: null as never }), TypeError);
  assert.throws(() => new ThreadPoolExecutor({ abortGrace: 'soon' as never }), TypeError);
});

test('onProgress must be a function', async () => {
  await using pool = new ThreadPool({ workers: 1, threads: 0 });
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1, threads: 0 });
  assert.throws(() => pool.applyAsync(fn, [1], { onProgress: 5 as never }), {
    name: 'TypeError',
    message: /Expected `onProgress` to be a function, got `5` \(number\)/,
  });
  assert.throws(() => executor.submitWith({ onProgress: {} as never }, fn, 1), TypeError);
  // The map family reports no progress: an unknown option there.
  assert.throws(
    () => pool.map(fn, [1], { onProgress: () => {} } as never),
    /Unknown option `onProgress`/,
  );
});

test('submitWith checks its options object and transfer list', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1, threads: 0 });
  assert.throws(() => executor.submitWith(null as never, fn, 1), TypeError);
  assert.throws(() => executor.submitWith({ nope: 1 } as never, fn, 1), /Unknown option `nope`/);
  assert.throws(() => executor.submitWith({ transfer: 'x' as never }, fn, 1), TypeError);
});

test('a failed check leaves no listener on the signal', async () => {
  await using pool = new ThreadPool({ workers: 1, threads: 0 });
  const controller = new AbortController();
  pool.close();
  assert.throws(() => pool.apply(fn, [1], { signal: controller.signal }), /Pool not running/);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});
