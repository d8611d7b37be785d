// The scheduler's promises of SPEC §1 and §3: no task waits behind a busy thread while another
// thread is free, no task waits for a slot while a slot is free anywhere, and tasks start in the
// order they were issued. Each case is a regression of a scheduling hole.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { asCompleted, ThreadPool, ThreadPoolExecutor } from 'spindle';

const T = { timeout: 30_000 };

/** Holds its thread for `ms` (CPU-bound work does that); returns `ms`. */
const busy = (ms: number): number => {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
  return ms;
};

const sleep = async (ms: number): Promise<number> => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
};

/** Starts every thread of the pool (a map of short busy tasks, one per slot). */
async function warm(pool: ThreadPool): Promise<void> {
  await pool.map(busy, new Array<number>(pool.workers * 2).fill(5), 1);
}

describe('no task waits behind a busy thread while another is free', () => {
  test(
    'short tasks issued after a long synchronous one run beside it, not after it',
    T,
    async () => {
      const pool = new ThreadPool(8); // 2 threads (on 2 cores), 4 slots each
      try {
        await warm(pool);
        const finished: string[] = [];
        const long = pool.apply(busy, [2000]).then(() => finished.push('long'));
        await new Promise((resolve) => setTimeout(resolve, 100));
        const shorts = [1, 2, 3, 4].map((i) =>
          pool.apply(busy, [50]).then(() => finished.push(`short${i}`)),
        );
        await Promise.all([long, ...shorts]);
        assert.equal(finished.at(-1), 'long', `every short task finished first: ${finished}`);
      } finally {
        await pool.terminate();
      }
    },
  );

  test(
    'tasks with transferred buffers still move off a thread stuck in a long task',
    T,
    async () => {
      const pool = new ThreadPool(2);
      try {
        await warm(pool);
        const finished: string[] = [];
        const long = pool.apply(busy, [1500]).then(() => finished.push('long'));
        const shorts = Array.from({ length: 40 }, (_, i) => {
          const buffer = new ArrayBuffer(16);
          return pool
            .apply((b: ArrayBuffer) => b.byteLength, [buffer], { transfer: [buffer] })
            .then((length) => {
              assert.equal(length, 16);
              finished.push(`short${i}`);
            });
        });
        await Promise.all([long, ...shorts]);
        assert.equal(finished.length, 41);
        assert.equal(finished.at(-1), 'long', 'all 40 short tasks finished before the long one');
      } finally {
        await pool.terminate();
      }
    },
  );

  test('behind an endless task, every other task still runs on the other thread', T, async () => {
    const pool = new ThreadPool(2);
    try {
      await warm(pool);
      const endless = pool.apply(() => {
        for (;;) {}
      });
      endless.catch(() => {});
      const shorts = Array.from({ length: 40 }, (_, i) => {
        const buffer = new ArrayBuffer(8);
        return i % 2 === 0
          ? pool.apply((b: ArrayBuffer) => b.byteLength, [buffer], { transfer: [buffer] })
          : pool.apply((x: number) => x, [8]);
      });
      assert.deepEqual(await Promise.all(shorts), new Array(40).fill(8));
    } finally {
      await pool.terminate();
    }
  });
});

describe('no task waits for a slot while a slot is free', () => {
  test('executor: async sleeps spread over every free slot (3 + 2 slots)', T, async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 5 });
    try {
      // Starts both threads.
      for await (const _ of executor.map(busy, new Array<number>(10).fill(5))) {
      }
      const futures = [600, 200, 400].map((ms) => executor.submit(sleep, ms));
      const order: number[] = [];
      for await (const future of asCompleted(futures)) order.push(await future.result());
      assert.deepEqual(order, [200, 400, 600]);
    } finally {
      await executor.shutdown();
    }
  });

  test('ThreadPool: as many async tasks run at once as there are workers', T, async () => {
    const pool = new ThreadPool({ workers: 5 });
    try {
      await warm(pool);
      const started = Date.now();
      await Promise.all([300, 300, 300, 300, 300].map((ms) => pool.apply(sleep, [ms])));
      // One round of sleeps, not two (a second round would take 600 ms).
      assert.ok(Date.now() - started < 550, `took ${Date.now() - started} ms`);
    } finally {
      await pool.terminate();
    }
  });
});

describe('tasks start in the order they were issued', () => {
  /** Each task takes a ticket when it starts; returns the tickets in issue order. */
  async function startTickets(pool: ThreadPool, count: number, ms: number): Promise<number[]> {
    const counter = new SharedArrayBuffer(4);
    return Promise.all(
      Array.from({ length: count }, () =>
        pool.applyAsync(
          async (shared: SharedArrayBuffer, wait: number) => {
            const ticket = Atomics.add(new Int32Array(shared), 0, 1);
            await new Promise((resolve) => setTimeout(resolve, wait));
            return ticket;
          },
          [counter, ms],
        ),
      ),
    );
  }

  /**
   * Tasks handed to different threads at about the same moment may take their tickets in either
   * order, and a loaded machine may wake a thread late (its tasks are then overtaken by a few), so
   * the check counts inversions (pairs started in the opposite order to their issue): a few of
   * those, never the many of a thread that holds a share of the queue while another thread runs
   * later tasks (the bug: 0, 51, 1, 52, … is over a thousand inversions for 100 tasks, and
   * 0, 6, 1, 7, 2, 8, 3, 4, 5, 9 is twelve for 10).
   */
  function assertNearlyInOrder(tickets: number[]): void {
    let inversions = 0;
    for (let i = 0; i < tickets.length; i++) {
      for (let j = i + 1; j < tickets.length; j++) {
        if ((tickets[i] as number) > (tickets[j] as number)) inversions++;
      }
    }
    // A thread descheduled on a loaded machine costs tens to a few hundred inversions for 100
    // tasks (57 at a load of 9 on 2 cores, 314 at 11), still far below the bug's 950 and more;
    // for 10 tasks the bug gives 12.
    assert.ok(
      inversions <= (tickets.length <= 10 ? 0.8 : 2) * tickets.length,
      `${inversions} inversions: ${tickets.slice(0, 40).join(',')}`,
    );
  }

  for (const count of [10, 100]) {
    test(`${count} async tasks on ThreadPool(2)`, T, async () => {
      const pool = new ThreadPool(2);
      try {
        // Tasks long enough that a thread woken a little late is not overtaken by many.
        assertNearlyInOrder(await startTickets(pool, count, 25));
        // Again with both threads already up.
        assertNearlyInOrder(await startTickets(pool, count, 25));
      } finally {
        await pool.terminate();
      }
    });
  }

  test('100 async tasks on 4 slots over 2 threads', T, async () => {
    const pool = new ThreadPool({ workers: 4, threads: 2 });
    try {
      await warm(pool);
      // Four start at once (in any order among them), then one for each that ends.
      assertNearlyInOrder(await startTickets(pool, 100, 40));
    } finally {
      await pool.terminate();
    }
  });
});

describe('tasks are never bounced between threads', () => {
  test(
    'a map of heavy chunks after a burst of tiny tasks takes about as long as on its own',
    T,
    async () => {
      // The burst teaches the threads a fast pace; the chunks that follow are slow to receive. A
      // thread still receiving its batch must not have it taken back by an idle one (and back
      // again): each round trip clones the chunks anew and starts none of them (seen: 10–30×).
      const pool = new ThreadPool(2);
      try {
        const value = (o: { a: number }) => o.a;
        const items = () => Array.from({ length: 200_000 }, (_, i) => ({ a: i, b: 'xy' }));
        await pool.map(value, items());
        let started = performance.now();
        await pool.map(value, items());
        const alone = performance.now() - started;
        await Promise.all(
          Array.from({ length: 20_000 }, (_, i) => pool.applyAsync((x: number) => x, [i])),
        );
        started = performance.now();
        const results = await pool.map(value, items());
        const afterBurst = performance.now() - started;
        assert.equal(results[199_999], 199_999);
        assert.ok(
          afterBurst < alone * 5 + 500,
          `alone ${alone.toFixed(0)} ms, after a burst ${afterBurst.toFixed(0)} ms`,
        );
      } finally {
        await pool.terminate();
      }
    },
  );
});

describe('arguments are captured when the call is made', () => {
  test(
    'changing an argument object after the call changes nothing, for every method',
    T,
    async () => {
      const pool = new ThreadPool(2);
      const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
      try {
        const read = (o: { v: number }) => o.v;
        const arg = { v: 1 };
        const applied = pool.apply(read, [arg]);
        const asyncResult = pool.applyAsync(read, [arg]);
        const items = [{ v: 1 }, { v: 1 }];
        const mapped = pool.map(read, items);
        const tuples: [{ v: number }][] = [[{ v: 1 }]];
        const starmapped = pool.starmap(read, tuples);
        const submitted = executor.submit(read, arg);
        arg.v = 2;
        for (const item of items) item.v = 2;
        (tuples[0] as [{ v: number }])[0].v = 2;
        assert.equal(await applied, 1);
        assert.equal(await asyncResult, 1);
        assert.deepEqual(await mapped, [1, 1]);
        assert.deepEqual(await starmapped, [1]);
        assert.equal(await submitted.result(), 1);
      } finally {
        await pool.terminate();
        await executor.shutdown();
      }
    },
  );

  test('a map item too deep for a small thread stack fails its chunk alone', T, async () => {
    const pool = new ThreadPool({ workers: 1, resourceLimits: { stackSizeMb: 0.5 } });
    try {
      let deep: object = {};
      for (let i = 0; i < 9_000; i++) deep = { deep };
      const depth = (o: object) => (o === null ? 0 : 1);
      const error = await pool.map(depth, [{ x: 1 }, deep], 1).catch((e: unknown) => e);
      assert.equal((error as Error).name, 'DataCloneError', String(error));
      assert.deepEqual(await pool.map(depth, [{ x: 1 }, { y: 2 }]), [1, 1]);
    } finally {
      await pool.terminate();
    }
  });

  test('a transferred buffer moves at the call; a shared one stays shared', T, async () => {
    const pool = new ThreadPool(1);
    try {
      const buffer = new ArrayBuffer(8);
      const moved = pool.apply((b: ArrayBuffer) => b.byteLength, [buffer], { transfer: [buffer] });
      assert.equal(buffer.byteLength, 0, 'detached at once');
      assert.equal(await moved, 8);
      const shared = new SharedArrayBuffer(4);
      await pool.apply(
        (s: SharedArrayBuffer, o: { tag: string }) => {
          new Int32Array(s)[0] = o.tag.length;
        },
        [shared, { tag: 'four' }],
      );
      assert.equal(new Int32Array(shared)[0], 4);
    } finally {
      await pool.terminate();
    }
  });
});
