// The input reader of imap and executor.map on its own: plain iterables in, chunks out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputReader, ReaderState } from '../../src/thread-pool/input-reader.js';

/** A sync iterable over `items` that records whether it was closed, and may throw at `throwAt`. */
function tracked(items: unknown[], throwAt = -1) {
  const state = { closed: 0, read: 0 };
  const iterable: Iterable<unknown> = {
    [Symbol.iterator]: () => ({
      next: () => {
        if (state.read === throwAt) throw new Error(`threw at ${throwAt}`);
        return state.read < items.length
          ? { done: false, value: items[state.read++] }
          : { done: true, value: undefined };
      },
      return: () => {
        state.closed++;
        return { done: true, value: undefined };
      },
    }),
  };
  return { iterable, state };
}

async function* asyncOf(items: unknown[]): AsyncGenerator<unknown> {
  for (const item of items) yield item;
}

describe('InputReader', () => {
  test('a sync input is read in chunks on the spot, then ends', () => {
    const reader = new InputReader([[1, 2, 3, 4, 5]], false);
    assert.equal(reader.async, false);
    assert.deepEqual(reader.read(2), [1, 2]);
    assert.deepEqual(reader.read(2), [3, 4]);
    assert.equal(reader.state, ReaderState.Idle);
    assert.deepEqual(reader.read(2), [5]);
    assert.equal(reader.state, ReaderState.Ended);
    assert.equal(reader.error, null);
    assert.deepEqual(reader.read(2), []);
  });

  test('an async input is read by one loop, Reading meanwhile', async () => {
    const reader = new InputReader([asyncOf(['a', 'b', 'c'])], false);
    assert.equal(reader.async, true);
    const first = reader.read(2);
    assert.ok(first instanceof Promise);
    assert.equal(reader.state, ReaderState.Reading);
    assert.deepEqual(reader.read(2), [], 'one read at a time');
    assert.deepEqual(await first, ['a', 'b']);
    assert.equal(reader.state, ReaderState.Idle);
    assert.deepEqual(await reader.read(5), ['c']);
    assert.equal(reader.state, ReaderState.Ended);
  });

  test('zip: one list per item, stops at the shortest and closes the others', async () => {
    const long = tracked([1, 2, 3, 4]);
    const reader = new InputReader([long.iterable, ['a', 'b']], true);
    assert.deepEqual(reader.read(10), [
      [1, 'a'],
      [2, 'b'],
    ]);
    assert.equal(reader.state, ReaderState.Ended);
    assert.equal(long.state.closed, 1);
    const mixed = new InputReader([asyncOf([1, 2, 3]), ['x', 'y', 'z']], true);
    assert.equal(mixed.async, true);
    assert.deepEqual(await mixed.read(2), [
      [1, 'x'],
      [2, 'y'],
    ]);
  });

  test('an input error comes after the items read before it; that input is not closed', () => {
    const input = tracked([1, 2, 3, 4], 2);
    const reader = new InputReader([input.iterable], false);
    assert.deepEqual(reader.read(10), [1, 2]);
    assert.equal(reader.state, ReaderState.Failed);
    assert.equal(String((reader.error?.error as Error | undefined)?.message), 'threw at 2');
    assert.equal(input.state.closed, 0);
  });

  test('a result whose done or value getter throws, and one that is no object, are input errors', async () => {
    const getter = {
      [Symbol.iterator]: () => ({
        next: () =>
          Object.defineProperty({}, 'done', {
            get() {
              throw new Error('done getter');
            },
          }),
      }),
    } as Iterable<unknown>;
    const reader = new InputReader([getter], false);
    assert.deepEqual(reader.read(3), []);
    assert.equal(String((reader.error?.error as Error | undefined)?.message), 'done getter');
    const junk = { [Symbol.asyncIterator]: () => ({ next: async () => 7 }) };
    const asyncReader = new InputReader([junk as unknown as AsyncIterable<unknown>], false);
    assert.deepEqual(await asyncReader.read(3), []);
    assert.ok(asyncReader.error?.error instanceof TypeError);
  });

  test('an input that cannot be opened fails the reader at once', () => {
    const reader = new InputReader(
      [
        {
          [Symbol.iterator]() {
            throw new Error('no iterator');
          },
        },
      ],
      false,
    );
    assert.equal(reader.state, ReaderState.Failed);
    assert.equal(String((reader.error?.error as Error | undefined)?.message), 'no iterator');
    assert.equal(new InputReader([], true).state, ReaderState.Ended);
  });

  test("close(): the inputs are closed, and an error of return() is the caller's", async () => {
    const input = tracked([1, 2, 3]);
    const reader = new InputReader([input.iterable], false);
    reader.read(1);
    await reader.close();
    assert.equal(reader.state, ReaderState.Closed);
    assert.equal(input.state.closed, 1);
    const failing = {
      [Symbol.iterator]: () => ({
        next: () => ({ done: false, value: 1 }),
        return: () => {
          throw new Error('return failed');
        },
      }),
    } as Iterable<unknown>;
    await assert.rejects(new InputReader([failing], false).close(), /return failed/);
  });

  test('close() during a read does not wait for it, and drops what it brings', async () => {
    let answer: ((step: IteratorResult<unknown>) => void) | undefined;
    let closed = false;
    const stuck = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<unknown>>((resolve) => (answer = resolve)),
        return: () => {
          closed = true;
          throw new Error('nobody hears this');
        },
      }),
    } as AsyncIterable<unknown>;
    const reader = new InputReader([stuck], false);
    const reading = reader.read(4) as Promise<unknown[]>;
    await reader.close();
    assert.equal(closed, true);
    answer?.({ done: false, value: 'late' });
    assert.deepEqual(await reading, []);
    assert.equal(reader.state, ReaderState.Closed);
  });

  test('stop(): reading ends with the stop error, or without one; fail() also after the end', async () => {
    const input = tracked([1, 2, 3]);
    const reader = new InputReader([input.iterable], false);
    reader.read(1);
    reader.stop({ error: 'stopped' });
    assert.equal(reader.state, ReaderState.Failed);
    assert.deepEqual(reader.error, { error: 'stopped' });
    assert.equal(input.state.closed, 1);
    const quiet = new InputReader([asyncOf([1])], false);
    quiet.stop(null);
    assert.equal(quiet.state, ReaderState.Closed);
    assert.equal(quiet.error, null);
    const ended = new InputReader([[1]], false);
    ended.read(5);
    ended.fail('refused');
    assert.equal(ended.state, ReaderState.Failed);
    assert.deepEqual(ended.error, { error: 'refused' });
    ended.fail('second');
    assert.deepEqual(ended.error, { error: 'refused' }, 'the first error stands');
  });
});
