import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { counting, hosts, rejection, T } from '../helpers.js';

for (const host of hosts)
  describe(`map, mapAsync, starmap, starmapAsync (${host.name})`, () => {
    const pool = host.pool(4);
    after(() => pool.terminate());
    const items = Array.from({ length: 103 }, (_, i) => i);
    const squares = items.map((i) => i * i);

    test('map keeps input order, with and without chunksize', T, async () => {
      assert.deepEqual(await pool.map((x: number) => x * x, items), squares);
      for (const chunksize of [1, 2, 7, 50, 103, 500]) {
        assert.deepEqual(await pool.map((x: number) => x * x, items, chunksize), squares);
        assert.deepEqual(await pool.map((x: number) => x * x, items, { chunksize }), squares);
      }
    });

    test('map keeps input order when tasks finish out of order', T, async () => {
      const delays = [40, 5, 30, 1, 20, 0, 10];
      const result = await pool.map(async (ms: number) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return ms;
      }, delays);
      assert.deepEqual(result, delays);
    });

    test('map takes any iterable and async iterables', T, async () => {
      assert.deepEqual(await pool.map((x: number) => x + 1, new Set([1, 2, 3])), [2, 3, 4]);
      assert.deepEqual(await pool.map((c: string) => c.toUpperCase(), 'abc'), ['A', 'B', 'C']);
      async function* source() {
        yield 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        yield 2;
      }
      assert.deepEqual(await pool.map((x: number) => x * 3, source()), [3, 6]);
    });

    test('empty inputs give empty results, and callbacks still run', T, async () => {
      assert.deepEqual(await pool.map((x: number) => x, []), []);
      assert.deepEqual(await pool.starmap((x: number) => x, []), []);
      const seen: unknown[] = [];
      const result = pool.mapAsync((x: number) => x, [], {
        callback: (values) => seen.push(values),
      });
      assert.deepEqual(await result.get(), []);
      assert.deepEqual(seen, [[]]);
    });

    test('the first task error rejects the whole call with that error', T, async () => {
      for (const chunksize of [1, 3, 100]) {
        const error = await rejection(
          pool.map(
            (x: number) => {
              if (x === 5) throw new RangeError(`bad item ${x}`);
              return x;
            },
            items,
            chunksize,
          ),
        );
        assert.ok(error instanceof RangeError);
        assert.equal((error as Error).message, 'bad item 5');
      }
    });

    test('an input that throws rejects the call with that same error', T, async () => {
      for (const throwAt of [0, 1, 4, 9]) {
        for (const chunksize of [1, 2, 4]) {
          const state = { read: 0 };
          const error = await rejection(
            pool.map((x: number) => x, counting(state, 20, throwAt), chunksize),
          );
          assert.ok(error instanceof Error);
          assert.equal((error as Error).message, `input failed at ${throwAt}`);
        }
      }
      const asyncError = await rejection(
        pool.map(
          (x: number) => x,
          (async function* () {
            yield 1;
            throw new TypeError('async input failed');
          })(),
        ),
      );
      assert.ok(asyncError instanceof TypeError);
    });

    test('mapAsync: AsyncResult with callback or errorCallback', T, async () => {
      const seen: unknown[] = [];
      const ok = pool.mapAsync((x: number) => x * 2, [1, 2, 3], {
        chunksize: 2,
        callback: (values) => seen.push(values),
      });
      assert.deepEqual(await ok.get(), [2, 4, 6]);
      assert.deepEqual(seen, [[2, 4, 6]]);
      const errors: unknown[] = [];
      const failed = pool.mapAsync(
        (x: number) => {
          if (x === 2) throw new Error('two');
          return x;
        },
        [1, 2, 3],
        { errorCallback: (error) => errors.push(error) },
      );
      assert.equal(await failed.wait(), true);
      assert.equal(failed.successful(), false);
      assert.equal((errors[0] as Error).message, 'two');
      assert.equal(await rejection(failed.get()), errors[0]);
      // A number works as the chunksize too.
      assert.deepEqual(await pool.mapAsync((x: number) => -x, [1, 2], 1), [-1, -2]);
    });

    test('starmap applies argument lists, and checks them', T, async () => {
      const pairs: [number, number][] = items.map((i) => [i, i + 1]);
      assert.deepEqual(
        await pool.starmap((a: number, b: number) => a * b, pairs),
        items.map((i) => i * (i + 1)),
      );
      assert.deepEqual(
        await pool.starmap((a: number, b: number) => a - b, pairs, 10),
        items.map(() => -1),
      );
      const sets: Iterable<[string]> = [['x'], ['y']];
      assert.deepEqual(await pool.starmap((s: string) => s.repeat(2), sets), ['xx', 'yy']);
      const error = await rejection(pool.starmap((a: number) => a, [5] as unknown as [number][]));
      assert.ok(error instanceof TypeError);
      assert.match((error as Error).message, /array of arguments/);
    });

    test('starmapAsync returns an AsyncResult', T, async () => {
      const seen: unknown[] = [];
      const result = pool.starmapAsync(
        (a: string, n: number) => a.repeat(n),
        [
          ['ab', 2],
          ['c', 3],
        ] as [string, number][],
        {
          callback: (values) => seen.push(values),
        },
      );
      assert.deepEqual(await result.get(), ['abab', 'ccc']);
      assert.deepEqual(seen, [['abab', 'ccc']]);
    });

    test('map with transfer moves the buffers of each chunk', T, async () => {
      const buffers = [new ArrayBuffer(8), new ArrayBuffer(16), new ArrayBuffer(32)];
      const sizes = await pool.map((b: ArrayBuffer) => b.byteLength, buffers, {
        chunksize: 1,
        transfer: buffers,
      });
      assert.deepEqual(sizes, [8, 16, 32]);
      assert.deepEqual(
        buffers.map((b) => b.byteLength),
        [0, 0, 0],
      );
    });
  });
