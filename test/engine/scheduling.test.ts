import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { availableParallelism } from 'node:os';
import { describe, test } from 'node:test';
import { ThreadPool } from 'spindle';
import { Event, T, waitEvent } from '../helpers.js';

const threadIdTask = async (ms: number) => {
  const { threadId } = await import('node:worker_threads');
  const until = Date.now() + ms;
  while (Date.now() < until) {} // Busy: holds the thread, as CPU-bound work does.
  return threadId;
};

describe('task slots on threads', () => {
  test('defaults: workers = availableParallelism, threads = min(workers, cores)', T, async () => {
    const cores = availableParallelism();
    const pool = new ThreadPool();
    assert.equal(pool.workers, cores);
    assert.equal(pool.threads, cores);
    const many = new ThreadPool(1024);
    assert.equal(many.workers, 1024);
    assert.equal(many.threads, Math.min(1024, cores));
    const few = new ThreadPool({ workers: 2, threads: 8 });
    assert.equal(few.threads, 2, 'never more threads than task slots');
    await Promise.all([pool.terminate(), many.terminate(), few.terminate()]);
  });

  test(
    "1,024 async tasks run at once on a few threads (the seed's port scanner shape)",
    T,
    async () => {
      // Listeners of our own on three loopback ports inside one 1,024-port range.
      const servers: Server[] = [];
      const open: number[] = [];
      let base = 0;
      for (let attempt = 0; attempt < 20 && open.length < 3; attempt++) {
        for (const server of servers.splice(0)) server.close();
        open.length = 0;
        base = 20_000 + Math.floor(Math.random() * 40_000);
        for (const offset of [7, 512, 1000]) {
          const server = createServer((socket) => socket.destroy());
          const ok = await new Promise<boolean>((resolve) => {
            server.once('error', () => resolve(false));
            server.listen(base + offset, '127.0.0.1', () => resolve(true));
          });
          if (!ok) break;
          servers.push(server);
          open.push(base + offset);
        }
      }
      assert.equal(open.length, 3, 'could open three loopback listeners');
      const ports = Array.from({ length: 1024 }, (_, i) => base + i);
      const pool = new ThreadPool(1024);
      try {
        const started = Date.now();
        const results = await pool.starmap(
          async (host: string, port: number) => {
            const { connect } = await import('node:net');
            return new Promise<boolean>((resolve) => {
              const socket = connect({ host, port });
              socket.setTimeout(3000);
              socket.once('connect', () => {
                socket.destroy();
                resolve(true);
              });
              socket.once('error', () => resolve(false));
              socket.once('timeout', () => {
                socket.destroy();
                resolve(false);
              });
            });
          },
          ports.map((port): [string, number] => ['127.0.0.1', port]),
        );
        const found = ports.filter((_, i) => results[i]);
        for (const port of open) assert.ok(found.includes(port), `port ${port} found open`);
        assert.ok(Date.now() - started < 15_000);
        // Every one of the 1,024 ran at the same time: a sleeping task per slot takes one sleep, not 1,024.
        const sleepStarted = Date.now();
        await pool.map(
          async () => {
            await new Promise((resolve) => setTimeout(resolve, 300));
          },
          Array.from({ length: 1024 }),
          1,
        );
        assert.ok(
          Date.now() - sleepStarted < 5000,
          `1,024 sleeps of 300 ms took ${Date.now() - sleepStarted} ms`,
        );
      } finally {
        await pool.terminate();
        for (const server of servers) server.close();
      }
    },
  );

  test('workers bounds how many tasks run at once', T, async () => {
    const pool = new ThreadPool({ workers: 3, threads: 2 });
    try {
      // Both threads up first (they start lazily), so that all three slots can be reached.
      let ids: number[] = [];
      for (let attempt = 0; attempt < 20 && new Set(ids).size < 2; attempt++) {
        ids = await pool.map(threadIdTask, [50, 50, 50], 1);
      }
      const shared = new SharedArrayBuffer(8);
      await pool.map(
        async (memory: SharedArrayBuffer) => {
          const counters = new Int32Array(memory);
          const now = Atomics.add(counters, 0, 1) + 1;
          for (;;) {
            const peak = Atomics.load(counters, 1);
            if (now <= peak || Atomics.compareExchange(counters, 1, peak, now) === peak) break;
          }
          await new Promise((resolve) => setTimeout(resolve, 30));
          Atomics.sub(counters, 0, 1);
        },
        Array.from({ length: 30 }, () => shared),
        1,
      );
      assert.equal(Atomics.load(new Int32Array(shared), 1), 3, 'at most 3 at once, and 3 reached');
    } finally {
      await pool.terminate();
    }
  });

  test('a sync task never waits behind another while a thread is free', T, async () => {
    const pool = new ThreadPool({ workers: 2, threads: 2 });
    try {
      await pool.map(async () => {}, [1, 2, 3, 4], 1); // Both threads up.
      // One long task and many short ones: the short ones must not queue behind the long one.
      const long = pool.applyAsync(threadIdTask, [1500]);
      const started = Date.now();
      const shortIds = await Promise.all(
        Array.from({ length: 20 }, () => pool.apply(threadIdTask, [5])),
      );
      const elapsed = Date.now() - started;
      const longId = await long.get();
      assert.ok(
        elapsed < 1200,
        `short tasks finished after ${elapsed} ms, i.e. not behind the long one`,
      );
      assert.ok(
        shortIds.every((id) => id !== longId),
        'short tasks ran on the other thread',
      );
    } finally {
      await pool.terminate();
    }
  });

  test(
    'a long task held while 30,000 short ones pass through its thread: every result right',
    T,
    async () => {
      // The thread's tasks in flight are kept by seq: the long one stays at the front while the
      // short ones come and go behind it (engine/seq-table.ts moves it aside), and it must still
      // be found when it ends, as must each short one.
      const pool = new ThreadPool({ workers: 4, threads: 1 });
      const gate = new Event();
      const long = pool.applyAsync(waitEvent, [gate.sab, 'long']);
      let sum = 0;
      for (let round = 0; round < 30; round++) {
        const batch = Array.from({ length: 1000 }, (_, i) =>
          pool.applyAsync((x: number) => x * 2, [round * 1000 + i]),
        );
        for (const value of await Promise.all(batch)) sum += value;
      }
      assert.equal(sum, 2 * ((30_000 * 29_999) / 2));
      assert.equal(long.ready(), false, 'the long task is still running');
      gate.set();
      assert.equal(await long.get(10_000), 'long');
      assert.equal(await pool.apply((x: number) => x + 1, [41]), 42);
      await pool.terminate();
    },
  );

  test('a short task issued after a long async one does not wait behind it', T, async () => {
    let behind = 0;
    for (let i = 0; i < 8; i++) {
      const pool = new ThreadPool({ workers: 2, threads: 2 });
      const slow = pool.applyAsync(() => new Promise((resolve) => setTimeout(resolve, 1000)));
      const started = Date.now();
      await pool.apply(() => new Promise((resolve) => setTimeout(resolve, 50)));
      if (Date.now() - started > 900) behind++;
      await pool.terminate();
      await slow.catch(() => {});
    }
    assert.equal(behind, 0, `waited behind the long task in ${behind} of 8 pools`);
  });

  test(
    'tasks sent one at a time to a thread that just went idle all run, in order',
    T,
    async () => {
      // An idle thread takes the next message straight from its port for a moment before it
      // sleeps; tasks that arrive that way, with new functions or next to async work, still run.
      const pool = new ThreadPool({ workers: 2, threads: 1 });
      const fns = [(x: number) => x + 1, (x: number) => x * 2, (x: number) => x - 3];
      const expected = [(x: number) => x + 1, (x: number) => x * 2, (x: number) => x - 3];
      for (let i = 0; i < 600; i++) {
        const k = i % 3;
        assert.equal(await pool.apply(fns[k] as (x: number) => number, [i]), expected[k]?.(i));
      }
      const order: number[] = [];
      const slow = pool
        .apply(
          async (ms: number) => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)),
          [30],
        )
        .then((v) => order.push(v));
      for (let i = 0; i < 50; i++) order.push(await pool.apply((x: number) => -x, [i + 1]));
      await slow;
      assert.deepEqual(
        order.filter((v) => v < 0),
        Array.from({ length: 50 }, (_, i) => -(i + 1)),
      );
      assert.ok(order.includes(30));
      await pool.terminate();
    },
  );

  test('CPU-bound map uses every thread', T, async () => {
    const pool = new ThreadPool({ workers: 2, threads: 2 });
    try {
      // Threads start lazily (slowly under a TypeScript loader, and on a busy machine): the first
      // maps may finish before the second thread is up. Once it is, every map uses both.
      let ids: number[] = [];
      for (let attempt = 0; attempt < 20 && new Set(ids).size < 2; attempt++) {
        ids = await pool.map(
          threadIdTask,
          Array.from({ length: 4 }, () => 100),
          1,
        );
      }
      assert.equal(new Set(ids).size, 2, 'the second thread started');
      for (let round = 0; round < 3; round++) {
        ids = await pool.map(
          threadIdTask,
          Array.from({ length: 8 }, () => 60),
          1,
        );
        assert.equal(new Set(ids).size, 2, `round ${round}: ${ids.join(',')}`);
      }
    } finally {
      await pool.terminate();
    }
  });

  test(
    'a few CPU-bound tasks on a pool with many slots per thread still use every thread',
    T,
    async () => {
      // 8 slots on 2 threads: the first thread alone has slots for all 4 tasks, but while it is
      // busy in synchronous code the others wait, so a second thread starts and takes them.
      const pool = new ThreadPool({ workers: 8, threads: 2 });
      try {
        const ids = await pool.map(threadIdTask, [400, 400, 400, 400, 400, 400], 1);
        assert.equal(new Set(ids).size, 2, ids.join(','));
      } finally {
        await pool.terminate();
      }
    },
  );

  test('threads: 0 runs on the main event loop, closures allowed, same API', T, async () => {
    const pool = new ThreadPool({ workers: 4, threads: 0 });
    const factor = 7;
    const { threadId } = await import('node:worker_threads');
    assert.equal(await pool.apply((x: number) => x * factor, [6]), 42);
    assert.deepEqual(await pool.map((x: number) => x + factor, [1, 2]), [8, 9]);
    assert.deepEqual(await pool.starmap((a: number, b: number) => a * b * factor, [[1, 2]]), [14]);
    const seen: number[] = [];
    for await (const value of pool.imapUnordered(async (x: number) => x * factor, [1, 2, 3]))
      seen.push(value);
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      [7, 14, 21],
    );
    assert.equal(
      await pool.apply(async () => (await import('node:worker_threads')).threadId),
      threadId,
    );
    assert.equal(await pool.apply(Math.max, [1, 5, 3]), 5, 'even native functions');
    const object = { n: 1 };
    await pool.apply(
      (o: { n: number }) => {
        o.n = 2;
      },
      [object],
    );
    assert.equal(object.n, 2, 'values are passed by reference, not cloned');
    pool.close();
    await pool.join();
  });

  test('threads: 0 respects workers as the concurrency bound', T, async () => {
    const pool = new ThreadPool({ workers: 2, threads: 0 });
    let running = 0;
    let peak = 0;
    await pool.map(
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running--;
      },
      Array.from({ length: 10 }),
      1,
    );
    assert.equal(peak, 2);
    await pool.terminate();
  });
});

describe('tasks sent to a thread while it starts', () => {
  test('they run after its initializer, and a thread ready first takes them back', T, async () => {
    // The first initializer to run is quick; the second holds its thread for 1.5 s.
    const order = new SharedArrayBuffer(4);
    const pool = new ThreadPool({
      workers: 4,
      threads: 2,
      initializer: async (shared: SharedArrayBuffer) => {
        const turn = Atomics.add(new Int32Array(shared), 0, 1);
        (globalThis as { ready?: boolean }).ready = true;
        if (turn === 1) await new Promise((resolve) => setTimeout(resolve, 1_500));
      },
      initargs: [order],
    });
    try {
      const t0 = Date.now();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          pool.applyAsync((x: number) => ((globalThis as { ready?: boolean }).ready ? x : -1), [i]),
        ),
      );
      assert.deepEqual(results, [0, 1, 2, 3, 4, 5, 6, 7], 'no task ran before its initializer');
      // All eight ran on the quick thread: what the slow one held was taken back.
      assert.ok(Date.now() - t0 < 1_400, `took ${Date.now() - t0} ms`);
    } finally {
      await pool.terminate();
    }
  });
});
