// The executor's submitWith(options, fn, ...args): transfer, signal, timeout, onProgress; and the
// signal of executor.map, which also stops reading the input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ThreadPoolExecutor, TimeoutError } from 'spindle';
import { rejection, T } from '../helpers.js';

test('submitWith({ transfer }) moves the buffer', T, async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1, threads: 1 });
  const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
  const future = executor.submitWith(
    { transfer: [buffer] },
    (data: ArrayBuffer) => new Uint8Array(data).reduce((a, b) => a + b, 0),
    buffer,
  );
  assert.equal(buffer.byteLength, 0, 'detached here: it moved');
  assert.equal(await future.result(), 10);
});

test('submitWith types flow from the function', T, async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1, threads: 0 });
  const future = executor.submitWith({}, (a: number, b: string) => `${b}${a}`, 1, 'x');
  const value: string = await future.result();
  assert.equal(value, 'x1');
  // @ts-expect-error: the arguments are checked against the function's parameters
  executor.submitWith({}, (a: number) => a, 'not a number');
});

test(
  'submitWith({ timeout }) rejects with TimeoutError; the future is done, not cancelled',
  T,
  async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1, threads: 1, abortGrace: 50 });
    const future = executor.submitWith({ timeout: 50 }, () => {
      for (;;) {}
    });
    assert.ok((await rejection(future.result())) instanceof TimeoutError);
    assert.equal(future.cancelled(), false);
    assert.ok((await future.exception()) instanceof TimeoutError);
    assert.equal(await executor.submit((x: number) => x, 9).result(), 9);
  },
);

test(
  'executor.map with a signal: aborting stops reading the input and ends the iteration',
  T,
  async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2, threads: 1 });
    const controller = new AbortController();
    let read = 0;
    function* endless() {
      for (;;) {
        read++;
        yield read;
      }
    }
    const results = executor.map(
      async (x: number) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return x;
      },
      endless(),
      { signal: controller.signal, buffersize: 4 },
    );
    assert.deepEqual(await results.next(), { done: false, value: 1 });
    controller.abort('stop reading');
    const readAtAbort = read;
    assert.equal(await rejection(results.next()), 'stop reading');
    assert.deepEqual(await results.next(), { done: true, value: undefined });
    assert.equal(read, readAtAbort, 'nothing more was read');
  },
);

test('imap with a signal: aborting stops reading the input', T, async () => {
  const { ThreadPool } = await import('spindle');
  await using pool = new ThreadPool({ workers: 2, threads: 1 });
  const controller = new AbortController();
  let read = 0;
  async function* endless() {
    for (;;) {
      read++;
      yield read;
    }
  }
  const results = pool.imap((x: number) => x, endless(), { signal: controller.signal });
  assert.deepEqual(await results.next(), { done: false, value: 1 });
  controller.abort('stop reading');
  const readAtAbort = read;
  assert.equal(await rejection(results.next()), 'stop reading');
  assert.deepEqual(await results.next(), { done: true, value: undefined });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(read <= readAtAbort + 1, `reading stopped (${readAtAbort} then ${read})`);
});
