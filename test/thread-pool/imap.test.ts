import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { IMapIterator, TimeoutError } from 'spindle';
import { counting, hosts, rejection, T } from '../helpers.js';

// A full collection on demand, for the memory checks (the test runs without --expose-gc).
setFlagsFromString('--expose_gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function collect<R>(iterator: AsyncIterable<R>): Promise<R[]> {
  const out: R[] = [];
  for await (const value of iterator) out.push(value);
  return out;
}

for (const host of hosts)
  describe(`imap and imapUnordered (${host.name})`, () => {
    const pool = host.pool(4);
    after(() => pool.terminate());

    test('imap yields results in input order, with and without chunksize', T, async () => {
      const items = Array.from({ length: 50 }, (_, i) => i);
      for (const chunksize of [undefined, 1, 3, 50, 80]) {
        const iterator = pool.imap((x: number) => x * 2, items, chunksize);
        assert.ok(iterator instanceof IMapIterator);
        assert.deepEqual(
          await collect(iterator),
          items.map((x) => x * 2),
        );
      }
    });

    test(
      'toArray() collects what is left, in order, and rejects at the first error',
      T,
      async () => {
        const iterator = pool.imap((x: number) => x + 1, [1, 2, 3, 4]);
        assert.deepEqual(await iterator.next(), { done: false, value: 2 });
        assert.deepEqual(await iterator.toArray(), [3, 4, 5]);
        assert.deepEqual(await iterator.toArray(), []);
        const unordered = await pool.imapUnordered((x: number) => x * 10, [1, 2, 3]).toArray();
        assert.deepEqual(
          unordered.sort((a, b) => a - b),
          [10, 20, 30],
        );
        const failing = pool.imap(
          (x: number) => {
            if (x === 2) throw new RangeError('two');
            return x;
          },
          [1, 2, 3],
        );
        const error = await rejection(failing.toArray());
        assert.ok(error instanceof RangeError);
      },
    );

    test(
      'imap keeps order when tasks finish out of order; imapUnordered does not wait',
      T,
      async () => {
        const delays = [120, 10, 60, 0];
        const sleep = async (ms: number) => {
          await new Promise((resolve) => setTimeout(resolve, ms));
          return ms;
        };
        assert.deepEqual(await collect(pool.imap(sleep, delays)), delays);
        const unordered = await collect(pool.imapUnordered(sleep, delays));
        assert.deepEqual(
          [...unordered].sort((a, b) => a - b),
          [0, 10, 60, 120],
        );
        assert.equal(unordered[unordered.length - 1], 120, 'the slowest comes last');
        assert.notDeepEqual(unordered, delays);
      },
    );

    test('empty input ends at once', T, async () => {
      assert.deepEqual(await collect(pool.imap((x: number) => x, [])), []);
      const iterator = pool.imapUnordered((x: number) => x, []);
      assert.deepEqual(await iterator.next(), { done: true, value: undefined });
      assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    });

    test(
      'an item error is thrown by the next() that reaches it, after the results before it',
      T,
      async () => {
        for (const chunksize of [1, 2, 5]) {
          const iterator = pool.imap(
            (x: number) => {
              if (x === 3) throw new RangeError('three');
              return x;
            },
            [0, 1, 2, 3, 4, 5],
            chunksize,
          );
          assert.deepEqual(await iterator.next(), { done: false, value: 0 });
          assert.deepEqual(await iterator.next(), { done: false, value: 1 });
          assert.deepEqual(await iterator.next(), { done: false, value: 2 });
          const error = await rejection(iterator.next());
          assert.ok(error instanceof RangeError);
          // As in Python, iteration can go on past a failed item.
          assert.deepEqual(await iterator.next(), { done: false, value: 4 });
          assert.deepEqual(await iterator.next(), { done: false, value: 5 });
          assert.deepEqual(await iterator.next(), { done: true, value: undefined });
        }
      },
    );

    test(
      'an input that throws: every item read before is delivered, then the error, whatever the chunksize',
      T,
      async () => {
        for (const ordered of [true, false]) {
          for (const throwAt of [0, 1, 5, 6]) {
            for (const chunksize of [1, 2, 3, 4, 10]) {
              const state = { read: 0 };
              const input = counting(state, 100, throwAt);
              const iterator = ordered
                ? pool.imap((x: number) => x * 10, input, chunksize)
                : pool.imapUnordered((x: number) => x * 10, input, chunksize);
              const seen: number[] = [];
              let failure: unknown;
              try {
                for await (const value of iterator) seen.push(value);
              } catch (error) {
                failure = error;
              }
              assert.equal((failure as Error)?.message, `input failed at ${throwAt}`);
              const expected = Array.from({ length: throwAt }, (_, i) => i * 10);
              assert.deepEqual(ordered ? seen : [...seen].sort((a, b) => a - b), expected);
              assert.deepEqual(await iterator.next(), { done: true, value: undefined });
            }
          }
        }
      },
    );

    test('async iterable input, including one that rejects', T, async () => {
      async function* source(fail: boolean) {
        for (let i = 0; i < 5; i++) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          yield i;
        }
        if (fail) throw new Error('async source failed');
      }
      assert.deepEqual(
        await collect(pool.imap((x: number) => x + 1, source(false), 2)),
        [1, 2, 3, 4, 5],
      );
      const seen: number[] = [];
      const error = await rejection(
        (async () => {
          for await (const value of pool.imap((x: number) => x + 1, source(true), 2))
            seen.push(value);
        })(),
      );
      assert.equal((error as Error).message, 'async source failed');
      assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    });

    test(
      'the input is read lazily: an infinite generator, stopped after N results',
      T,
      async () => {
        const state = { read: 0 };
        const seen: number[] = [];
        for await (const value of pool.imap((x: number) => x * x, counting(state), 1)) {
          seen.push(value);
          if (seen.length === 1000) break;
        }
        assert.equal(seen.length, 1000);
        assert.equal(seen[999], 999 * 999);
        const readAtBreak = state.read;
        assert.ok(
          readAtBreak < 1000 + 1000,
          `read ${readAtBreak} items for 1000 results (bounded read-ahead)`,
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(state.read, readAtBreak, 'no more input is read after the loop is left');
      },
    );

    test('a slow consumer holds back the reading of the input', T, async () => {
      const state = { read: 0 };
      const iterator = pool.imapUnordered((x: number) => x, counting(state), 1);
      // Unordered: the first result is whichever item finished first.
      assert.equal((await iterator.next()).done, false);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const read = state.read;
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(state.read, read, 'reading stopped while nobody consumed');
      assert.ok(read < 1_000, `read ${read} items ahead of a consumer that took one`);
      await iterator.return();
    });

    test("leaving the loop drops the call's queued tasks", T, async () => {
      const small = host.pool({ workers: 1, threads: 1 });
      try {
        const ran: number[] = [];
        const iterator = small.imap(
          async (x: number) => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            return x;
          },
          Array.from({ length: 200 }, (_, i) => i),
        );
        for await (const value of iterator) {
          ran.push(value);
          if (ran.length === 2) break;
        }
        // What is still queued was dropped: the pool is free again almost at once.
        const started = Date.now();
        assert.equal(await small.apply(() => 'free'), 'free');
        assert.ok(Date.now() - started < 1000, `the pool was busy for ${Date.now() - started} ms`);
      } finally {
        await small.terminate();
      }
    });

    test('next(timeout) rejects with TimeoutError and the iterator stays usable', T, async () => {
      const iterator = pool.imap(
        async (ms: number) => {
          await new Promise((resolve) => setTimeout(resolve, ms));
          return ms;
        },
        [150],
      );
      assert.ok((await rejection(iterator.next(20))) instanceof TimeoutError);
      assert.ok((await rejection(iterator.next(0))) instanceof TimeoutError);
      assert.deepEqual(await iterator.next(5_000), { done: false, value: 150 });
      assert.deepEqual(await iterator.next(0), { done: true, value: undefined });
    });

    test('imap over a long generator keeps memory flat', { timeout: 120_000 }, async () => {
      const count = 300_000;
      let sum = 0;
      let peak = 0;
      // What stays reachable, after a full collection: garbage not yet collected would count
      // otherwise (Node 24 let it reach 100 MB here before collecting).
      const retained = (): number => {
        collectGarbage();
        return process.memoryUsage().heapUsed;
      };
      const before = retained();
      let n = 0;
      for await (const value of pool.imap((x: number) => x & 1, counting({ read: 0 }, count), 64)) {
        sum += value;
        if (++n % 20_000 === 0) peak = Math.max(peak, retained() - before);
      }
      assert.equal(sum, count / 2);
      assert.ok(peak < 40 * 1024 * 1024, `heap grew by ${(peak / 1e6).toFixed(1)} MB`);
    });
  });
