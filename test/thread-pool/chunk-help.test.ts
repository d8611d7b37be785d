// The items of a map's chunks and the task slots: every slot busy, never more tasks than slots,
// and the last chunks of a map (default chunksize) helped by the slots beside them, so that their
// items do not run one by one while slots stand idle. Counts, not timings: each item marks itself
// running in shared memory, so the test sees how many ran at once, and whether two items of one
// chunk ever overlapped.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancelledError, ThreadPool } from 'spindle';
import { nested, rejection, T, unreadableDepth, until } from '../helpers.js';

/** Shared words: [running now, peak, items that started while their chunk sibling ran, ...running flags]. */
interface Item {
  memory: SharedArrayBuffer;
  index: number;
  /** Items per chunk: item i's chunk holds the items with the same Math.floor(i / size). */
  size: number;
  ms: number;
  fail?: boolean;
}

const RUNNING = 0;
const PEAK = 1;
const OVERLAPS = 2;
const FLAGS = 3;

async function markedSleep(item: Item): Promise<number> {
  const words = new Int32Array(item.memory);
  const now = Atomics.add(words, 0, 1) + 1;
  for (;;) {
    const peak = Atomics.load(words, 1);
    if (now <= peak || Atomics.compareExchange(words, 1, peak, now) === peak) break;
  }
  const first = Math.floor(item.index / item.size) * item.size;
  for (let j = first; j < first + item.size; j++) {
    if (j !== item.index && Atomics.load(words, 3 + j) === 1) {
      Atomics.add(words, 2, 1);
      break;
    }
  }
  Atomics.store(words, 3 + item.index, 1);
  await new Promise((resolve) => setTimeout(resolve, item.ms));
  Atomics.store(words, 3 + item.index, 0);
  Atomics.sub(words, 0, 1);
  if (item.fail) throw new RangeError(`item ${item.index} failed`);
  return item.index;
}

function itemsOf(
  count: number,
  size: number,
  ms: number,
): { memory: SharedArrayBuffer; items: Item[] } {
  const memory = new SharedArrayBuffer(4 * (FLAGS + count));
  return {
    memory,
    items: Array.from({ length: count }, (_, index) => ({ memory, index, size, ms })),
  };
}

function counts(memory: SharedArrayBuffer): { peak: number; overlaps: number; running: number } {
  const words = new Int32Array(memory);
  return {
    peak: Atomics.load(words, PEAK),
    overlaps: Atomics.load(words, OVERLAPS),
    running: Atomics.load(words, RUNNING),
  };
}

async function bothThreadsUp(pool: ThreadPool): Promise<void> {
  let ids: number[] = [];
  for (let attempt = 0; attempt < 20 && new Set(ids).size < 2; attempt++) {
    ids = await pool.map(
      async (ms: number) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return (await import('node:worker_threads')).threadId;
      },
      [50, 50, 50, 50],
      1,
    );
  }
}

/**
 * 20 items of 200 ms on `{ workers: 4, threads: 2 }`, each returning its index (a number, or an
 * object's `index` read back with its Date) and its thread: checks the values' order and returns
 * the threads the last 4 items ran on.
 */
async function lastWaveThreads(
  pool: ThreadPool,
  items: readonly (number | { index: number; when: Date })[],
): Promise<Set<number>> {
  const ran = await pool.map(
    async (item: number | { index: number; when: Date }): Promise<[number, number]> => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const { threadId } = await import('node:worker_threads');
      return [typeof item === 'number' ? item : item.when.getTime(), threadId];
    },
    items,
  );
  assert.deepEqual(
    ran.map(([index]) => index),
    Array.from({ length: items.length }, (_, i) => i),
  );
  return new Set(ran.slice(16).map(([, thread]) => thread));
}

describe('chunks and task slots', () => {
  test(
    'a map of async items with the default chunksize keeps every slot busy, never more',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 8, threads: 2 });
      try {
        await bothThreadsUp(pool);
        // 100 items on 8 slots: chunks of ceil(100 / 32) = 4, 25 chunks.
        const { memory, items } = itemsOf(100, 4, 20);
        const results = await pool.map(markedSleep, items);
        assert.deepEqual(
          results,
          items.map((item) => item.index),
        );
        const seen = counts(memory);
        assert.equal(seen.peak, 8, 'all 8 slots ran at once, and never more');
        assert.equal(seen.running, 0);
      } finally {
        await pool.terminate();
      }
    },
  );

  test("the last chunks' unstarted items run in the slots left free", T, async () => {
    const pool = new ThreadPool({ workers: 4, threads: 1 });
    try {
      // 30 items on 4 slots: chunks of ceil(30 / 16) = 2, 15 chunks. The last 3 chunks start
      // with a slot free and nothing queued: it takes a second item of one of them.
      const { memory, items } = itemsOf(30, 2, 50);
      const results = await pool.map(markedSleep, items);
      assert.deepEqual(
        results,
        items.map((item) => item.index),
      );
      const seen = counts(memory);
      assert.ok(seen.overlaps > 0, 'some chunk had two items running at once');
      assert.equal(seen.peak, 4, 'never more than the 4 slots');
    } finally {
      await pool.terminate();
    }
  });

  test(
    'slots help only once the pool has nothing queued: the last chunks, not the others',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 8, threads: 2 });
      try {
        // A fresh pool: its threads have no pace yet, so they hold no task beyond their slots.
        // 25 chunks of 4 on 8 slots. A slot that frees while chunks are still queued gets the
        // next one (lent to a helper, it would make that chunk wait for the helper's item, as it
        // did before this test: 10-14 helped items). Once fewer chunks are queued than there are
        // slots (the last 7), they are cut into pieces that run side by side by design: their
        // items are left out of the count (a group of one). What is left to count is helping:
        // only once nothing is queued, so only the last chunks still running can be helped.
        const { memory, items } = itemsOf(100, 4, 40);
        for (const item of items.slice(72)) item.size = 1;
        await pool.map(markedSleep, items);
        const seen = counts(memory);
        assert.ok(seen.overlaps <= 6, `${seen.overlaps} items helped: only the last chunks can be`);
        assert.equal(seen.peak, 8, 'never more than the 8 slots');
      } finally {
        await pool.terminate();
      }
    },
  );

  test(
    "a map's last chunks are split into their items, so that every thread takes its share",
    T,
    async () => {
      const pool = new ThreadPool({ workers: 4, threads: 2 });
      try {
        await bothThreadsUp(pool);
        const before = pool.stats().completed;
        // 20 items on 4 slots, 2 per thread: chunks of ceil(20 / 16) = 2, 10 chunks. After two
        // waves of 4 chunks, the last 2 chunks (4 items) fit the 4 slots at once: they are split,
        // and each thread, its slots free, takes 2 items. Not split, the thread whose slots came
        // free first would take both chunks and run their 4 items on its 2 slots while the other
        // thread idled. Items of 200 ms: one thread would have to run a whole item before the
        // other's slots came free to take the last wave alone.
        const lastWave = await lastWaveThreads(
          pool,
          Array.from({ length: 20 }, (_, i) => i),
        );
        assert.equal(lastWave.size, 2, `the last 4 items ran on threads ${[...lastWave]}`);
        assert.equal(pool.stats().completed - before, 20, 'counted once per item');
        // A chunksize the caller chose is kept to the end: no two items of a chunk at once.
        const explicit = itemsOf(20, 2, 40);
        assert.deepEqual(
          await pool.map(markedSleep, explicit.items, 2),
          explicit.items.map((item) => item.index),
        );
        assert.equal(counts(explicit.memory).overlaps, 0, 'chunksize 2: never split');
      } finally {
        await pool.terminate();
      }
    },
  );

  test(
    'a map over objects (its chunks serialized at the call) shares its last wave too',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 4, threads: 2 });
      try {
        await bothThreadsUp(pool);
        // As above, with items that are objects: each chunk was serialized when the map was called,
        // and is read back to be cut.
        const lastWave = await lastWaveThreads(
          pool,
          Array.from({ length: 20 }, (_, i) => ({ index: i, when: new Date(i) })),
        );
        assert.equal(lastWave.size, 2, `the last 4 items ran on threads ${[...lastWave]}`);
      } finally {
        await pool.terminate();
      }
    },
  );

  test(
    'last-wave items too deep for the main thread to read back: their chunks run whole',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 4, threads: 2 });
      try {
        await bothThreadsUp(pool);
        // Serialized when the map is called, but too deep to deserialize on the main thread's
        // stack: the cut cannot read them back (it threw inside the scheduler, and the map hung).
        const deep = nested(unreadableDepth());
        const items = Array.from({ length: 20 }, (_, index) => ({ index, deep }));
        const values = await pool.map(async (item: { index: number; deep: object }) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return item.index;
        }, items);
        assert.deepEqual(
          values,
          items.map((item) => item.index),
        );
        assert.equal(await pool.apply((x: number) => x + 1, [1]), 2, 'the pool goes on');
        const { queued, running } = pool.stats();
        assert.equal(queued + running, 0);
      } finally {
        await pool.terminate();
      }
    },
  );

  test(
    'split chunks: starmap values in order, and an item that throws rejects the map',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 4, threads: 2 });
      try {
        await bothThreadsUp(pool);
        const start = pool.stats();
        const pairs = Array.from({ length: 20 }, (_, i): [number, number] => [i, 10 * i]);
        const sums = await pool.starmap(async (a: number, b: number) => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          return a + b;
        }, pairs);
        assert.deepEqual(
          sums,
          pairs.map(([a, b]) => a + b),
        );
        // Item 18 is in the last wave, split: its error is the map's.
        const error = await rejection(
          pool.map(
            async (index: number) => {
              await new Promise((resolve) => setTimeout(resolve, 30));
              if (index === 18) throw new RangeError(`item ${index} failed`);
              return index;
            },
            Array.from({ length: 20 }, (_, i) => i),
          ),
        );
        assert.ok(error instanceof RangeError);
        assert.equal((error as Error).message, 'item 18 failed');
        // The items still running when the map rejected settle too, each once.
        await until(() => {
          const now = pool.stats();
          return now.queued + now.running === 0;
        });
        const end = pool.stats();
        assert.equal(end.completed - start.completed, 20 + 19);
        assert.equal(end.failed - start.failed, 1);
        assert.deepEqual(await pool.map((x: number) => x + 1, [1, 2, 3]), [2, 3, 4]);
      } finally {
        await pool.terminate();
      }
    },
  );

  test(
    'cut into pieces near their end, random maps still give every value in order, or the error',
    T,
    async () => {
      // Maps long enough for chunks of several items, on pools of 2 threads: the last chunks are
      // cut (and cut again) as the queue runs short. Items sync or async, some failing.
      let seed = 20261206;
      const random = (): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed / 0x7fffffff;
      };
      for (const workers of [2, 4, 6]) {
        const pool = new ThreadPool({ workers, threads: 2 });
        try {
          for (let round = 0; round < 6; round++) {
            const count = 4 * workers + 1 + Math.floor(random() * 8 * workers);
            const fails = round % 3 === 2 ? Math.floor(random() * count) : -1;
            const items = Array.from({ length: count }, (_, index) => ({
              index,
              ms: random() < 0.5 ? 0 : Math.floor(random() * 4),
              fails: index === fails,
            }));
            const before = pool.stats();
            const outcome = await pool
              .map(async (item: { index: number; ms: number; fails: boolean }) => {
                if (item.ms > 0) await new Promise((resolve) => setTimeout(resolve, item.ms));
                if (item.fails) throw new RangeError(`item ${item.index} failed`);
                return item.index * 2;
              }, items)
              .then(
                (values) => ({ ok: true as const, values }),
                (error: unknown) => ({ ok: false as const, error }),
              );
            const where = `workers ${workers}, round ${round}, ${count} items`;
            if (fails < 0) {
              assert.ok(outcome.ok, where);
              assert.deepEqual(
                outcome.values,
                items.map((item) => item.index * 2),
                where,
              );
            } else {
              assert.ok(!outcome.ok, where);
              assert.equal((outcome.error as Error).message, `item ${fails} failed`, where);
            }
            await until(() => {
              const now = pool.stats();
              return now.queued + now.running === 0;
            });
            const after = pool.stats();
            assert.equal(after.completed - before.completed, count - (fails < 0 ? 0 : 1), where);
            assert.equal(after.failed - before.failed, fails < 0 ? 0 : 1, where);
          }
        } finally {
          await pool.terminate();
        }
      }
    },
  );

  test(
    'terminate() while cut pieces are queued settles the map once, and every item is counted',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 4, threads: 2 });
      await bothThreadsUp(pool);
      const before = pool.stats();
      // 40 items of 40 ms on 4 slots: 14 chunks (13 of 3, one of 1), three waves of 120 ms, and
      // the last 2 chunks cut while the third wave runs. terminate() comes in that wave.
      let settlements = 0;
      const result = pool.mapAsync(
        async (i: number) => {
          await new Promise((resolve) => setTimeout(resolve, 40));
          return i;
        },
        Array.from({ length: 40 }, (_, i) => i),
        {
          callback: () => settlements++,
          errorCallback: () => settlements++,
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await pool.terminate();
      assert.ok((await rejection(result.get())) instanceof CancelledError);
      assert.equal(settlements, 1);
      const after = pool.stats();
      assert.equal(after.queued + after.running, 0);
      const counted = (s: typeof after) => s.completed + s.failed + s.cancelled;
      assert.equal(counted(after) - counted(before), 40, 'each item counted once');
    },
  );

  test('a chunksize the caller chose runs its items one after another', T, async () => {
    const pool = new ThreadPool({ workers: 4, threads: 1 });
    try {
      const explicit = itemsOf(30, 2, 30);
      assert.deepEqual(
        await pool.map(markedSleep, explicit.items, 2),
        explicit.items.map((item) => item.index),
      );
      assert.equal(
        counts(explicit.memory).overlaps,
        0,
        'chunksize 2: no two items of a chunk at once',
      );
      // With a signal the chunk is a controlled task (its signal and its time are the chunk's).
      const controlled = itemsOf(30, 2, 30);
      const signal = new AbortController().signal;
      await pool.map(markedSleep, controlled.items, { signal });
      assert.equal(counts(controlled.memory).overlaps, 0, 'with a signal: one after another');
    } finally {
      await pool.terminate();
    }
  });

  test('an error of a helped item rejects the map with that error, once', T, async () => {
    const pool = new ThreadPool({ workers: 4, threads: 1 });
    try {
      const { memory, items } = itemsOf(30, 2, 40);
      // The last item of the last chunk: a helper or the chunk's own runner starts it.
      (items[29] as Item).fail = true;
      const error = await rejection(pool.map(markedSleep, items));
      assert.ok(error instanceof RangeError);
      assert.equal((error as Error).message, 'item 29 failed');
      assert.ok(counts(memory).peak <= 4);
      // The pool goes on.
      assert.deepEqual(await pool.map((x: number) => x + 1, [1, 2, 3]), [2, 3, 4]);
    } finally {
      await pool.terminate();
    }
  });
});
