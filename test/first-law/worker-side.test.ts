/**
 * The first law, on the thread side: whatever a task returns, throws, writes or posts, every task
 * settles exactly once, the thread and the main process live on, and output is neither lost nor
 * delivered after the result.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ThreadPool } from 'spindle';
import { rejection, T } from '../helpers.js';

const SPINDLE = new URL('../../dist/lib/spindle.js', import.meta.url).href;

/**
 * Runs an ES module script in a child process, whose stdout and stderr are pipes. A file rather
 * than `-e`, so that the threads inherit the process's flags (`--expose-gc`) as they are.
 */
function runScript(
  source: string,
  flags: string[] = [],
): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-first-law-'));
  try {
    const file = join(dir, 'script.mjs');
    writeFileSync(file, source.replaceAll("from 'spindle'", `from '${SPINDLE}'`));
    const child = spawnSync(process.execPath, [...flags, file], {
      encoding: 'utf8',
      timeout: 45_000,
    });
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function errorOf(reason: unknown): Error {
  assert.ok(reason instanceof Error, `expected an Error, got ${String(reason)}`);
  return reason;
}

describe('messages that cannot be deserialized settle what they carried (item 2)', () => {
  test(
    'a result too deep for the main thread fails alone; the tasks of its batch succeed',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 4, threads: 1 });
      try {
        await pool.apply(() => 0);
        for (const depth of [3000, 10_000]) {
          const results = [0, 1, 2, 3].map((i) =>
            pool.applyAsync(
              (d: number, n: number) => {
                if (n !== 1) return n;
                let o: object = {};
                for (let k = 0; k < d; k++) o = { o };
                return o;
              },
              [depth, i],
            ),
          );
          const outcomes = await Promise.all(
            results.map((r) => r.get().then(String, (e: Error) => e.name)),
          );
          assert.deepEqual(outcomes, ['0', 'DataCloneError', '2', '3']);
        }
        assert.equal(await pool.apply((x: number) => x + 1, [1]), 2);
      } finally {
        await pool.terminate();
      }
    },
  );

  test(
    'an error with a deep own property arrives without it; close() and join() end',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 2, threads: 1 });
      const error = errorOf(
        await rejection(
          pool.apply(() => {
            let o: object = {};
            for (let k = 0; k < 3000; k++) o = { o };
            throw Object.assign(new RangeError('deep inside'), { deep: o });
          }),
        ),
      );
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, 'deep inside');
      assert.match(String((error as { unreadable?: unknown }).unreadable), /could not be read/);
      pool.close();
      await pool.join();
    },
  );

  test(
    'arguments too deep for a small thread stack fail alone and take no definition with them',
    T,
    async () => {
      const pool = new ThreadPool({
        workers: 4,
        threads: 1,
        resourceLimits: { stackSizeMb: 0.5 },
      });
      try {
        await pool.apply(() => 0);
        let deep: object = {};
        for (let k = 0; k < 3000; k++) deep = { deep };
        const kind = (x: unknown) => (typeof x === 'object' ? 'object' : x);
        const results = [1, deep, 3, 4].map((a) => pool.applyAsync(kind, [a]));
        const outcomes = await Promise.all(
          results.map((r) => r.get().then(String, (e: Error) => e.name)),
        );
        assert.deepEqual(outcomes, ['1', 'DataCloneError', '3', '4']);
        // The function was first defined in the batch that was lost: it still runs.
        assert.equal(await pool.apply(kind, [5]), 5);
        assert.deepEqual(await pool.map(kind, [6, 7, 8]), [6, 7, 8]);
      } finally {
        await pool.terminate();
      }
    },
  );
});

describe('the error serializer is total and bounded (item 3)', () => {
  const pool = new ThreadPool({ workers: 4, threads: 1 });
  after(() => pool.terminate());

  /** Runs `fn` next to an innocent async task on the same thread; returns fn's error. */
  async function withBystander(fn: () => unknown): Promise<Error> {
    const bystander = pool.apply(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'bystander';
    });
    const error = await rejection(pool.apply(fn));
    assert.equal(await bystander, 'bystander');
    return errorOf(error);
  }

  test('an enumerable getter that throws becomes a placeholder', T, async () => {
    const error = await withBystander(() => {
      const e = new Error('getter');
      Object.defineProperty(e, 'boom', {
        enumerable: true,
        get() {
          throw new TypeError('no reading me');
        },
      });
      throw e;
    });
    assert.equal(error.message, 'getter');
    assert.match(
      String((error as { boom?: unknown }).boom),
      /unreadable: getter threw TypeError: no reading me/,
    );
  });

  test('a name getter that throws', T, async () => {
    const error = await withBystander(() => {
      const e = new Error('named');
      Object.defineProperty(e, 'name', {
        get() {
          throw new Error('no name');
        },
      });
      throw e;
    });
    assert.equal(error.message, 'named');
  });

  test('a Proxy cause whose ownKeys trap throws', T, async () => {
    const error = await withBystander(() => {
      const cause = new Proxy(new Error('inner'), {
        ownKeys() {
          throw new Error('trap');
        },
      });
      throw new Error('outer', { cause });
    });
    assert.equal(error.message, 'outer');
    assert.ok(error.cause instanceof Error);
  });

  test('a thrown Proxy that is not an Error', T, async () => {
    const error = await withBystander(() => {
      throw new Proxy(
        {},
        {
          get() {
            throw new Error('trap');
          },
          getPrototypeOf() {
            throw new Error('trap');
          },
        },
      );
    });
    assert.match(error.message, /cannot be cloned/);
  });

  test('an AggregateError that contains itself ends at once', T, async () => {
    const started = Date.now();
    const error = await withBystander(() => {
      const errors: unknown[] = [];
      const aggregate = new AggregateError(errors, 'self');
      const list = (aggregate as { errors: unknown[] }).errors;
      list.push(aggregate, aggregate, aggregate);
      throw aggregate;
    });
    assert.ok(error instanceof AggregateError);
    assert.equal(error.errors.length, 3);
    assert.ok(Date.now() - started < 10_000);
  });

  test('a cause chain that loops ends at once', T, async () => {
    const error = await withBystander(() => {
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      (a as { cause?: unknown }).cause = b;
      throw a;
    });
    assert.equal(error.message, 'a');
    assert.equal(errorOf(error.cause).message, 'b');
  });
});

describe('a result whose then lookup throws is that task’s error (item 4)', () => {
  const hostile = () => {
    return new Proxy(
      {},
      {
        get(_target, key) {
          if (key === 'then') throw new Error('then trap');
          return undefined;
        },
      },
    );
  };
  const getter = () => ({
    // biome-ignore lint/suspicious/noThenProperty: the hostile thenable under test
    get then() {
      throw new Error('then getter');
    },
  });

  test('on a thread: the task fails, a bystander and the thread live on', T, async () => {
    const pool = new ThreadPool({ workers: 4, threads: 1 });
    try {
      const bystander = pool.apply(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return 'ok';
      });
      assert.equal(errorOf(await rejection(pool.apply(hostile))).message, 'then trap');
      assert.equal(errorOf(await rejection(pool.apply(getter))).message, 'then getter');
      const mapped = errorOf(await rejection(pool.map(getter, [1, 2])));
      assert.equal(mapped.message, 'then getter');
      assert.equal(await bystander, 'ok');
    } finally {
      await pool.terminate();
    }
  });

  test('with threads: 0 the main process does not crash', T, () => {
    const { status, stdout, stderr } = runScript(`
      import { ThreadPool } from 'spindle';
      const pool = new ThreadPool({ workers: 2, threads: 0 });
      const proxy = () => new Proxy({}, { get(_t, k) { if (k === 'then') throw new Error('then trap'); } });
      const e1 = await pool.apply(proxy).catch((e) => e.message);
      const e2 = await pool.map(() => ({ get then() { throw new Error('then getter'); } }), [1]).catch((e) => e.message);
      console.log(e1, '|', e2);
      await pool.terminate();
    `);
    assert.equal(stderr, '');
    assert.equal(status, 0);
    assert.equal(stdout.trim(), 'then trap | then getter');
  });
});

describe('what tasks print is written before their results, and never lost (item 12)', () => {
  test('the guide’s mapAsync + close + join pattern prints every line', T, () => {
    for (let run = 0; run < 5; run++) {
      const { status, stdout, stderr } = runScript(`
        import { ThreadPool } from 'spindle';
        const pool = new ThreadPool(4);
        const items = Array.from({ length: 10 }, (_, i) => i);
        pool.mapAsync((v) => { console.log('>task got ' + v); }, items);
        pool.close();
        await pool.join();
      `);
      assert.equal(stderr, '');
      assert.equal(status, 0);
      const lines = stdout.trim().split('\n').sort();
      assert.deepEqual(lines, Array.from({ length: 10 }, (_, i) => `>task got ${i}`).sort());
    }
  });

  test('map in an await using block, and a pool never closed, print every line', T, () => {
    for (let run = 0; run < 3; run++) {
      const { status, stdout } = runScript(`
        import { ThreadPool } from 'spindle';
        // What \`await using\` does (Node 20 does not parse it): terminate, then join.
        const pool = new ThreadPool(4);
        try {
          await pool.map((v) => { console.log('a' + v); }, [0, 1, 2, 3, 4, 5]);
        } finally {
          await pool[Symbol.asyncDispose]();
        }
        const open = new ThreadPool(4);
        await open.map((v) => { process.stdout.write('b' + v + '\\n'); }, [0, 1, 2, 3, 4, 5]);
      `);
      assert.equal(status, 0);
      const lines = stdout.trim().split('\n');
      assert.equal(lines.filter((l) => l.startsWith('a')).length, 6);
      assert.equal(lines.filter((l) => l.startsWith('b')).length, 6);
    }
  });

  test(
    'await apply(() => console.log(...)) then console.log: the task’s line comes first',
    T,
    () => {
      const { status, stdout, stderr } = runScript(`
      import { ThreadPool } from 'spindle';
      const pool = new ThreadPool(2);
      for (let i = 0; i < 20; i++) {
        await pool.apply((n) => { console.log('task ' + n); console.error('err ' + n); }, [i]);
        console.log('main ' + i);
      }
      await pool.terminate();
    `);
      assert.equal(status, 0);
      const expected = Array.from({ length: 20 }, (_, i) => [`task ${i}`, `main ${i}`]).flat();
      assert.deepEqual(stdout.trim().split('\n'), expected);
      assert.deepEqual(
        stderr.trim().split('\n'),
        Array.from({ length: 20 }, (_, i) => `err ${i}`),
      );
    },
  );

  test('bytes and encodings written to process.stdout arrive as written', T, async () => {
    const { status, stdout } = runScript(`
      import { ThreadPool } from 'spindle';
      const pool = new ThreadPool(1);
      await pool.apply(() => {
        process.stdout.write(new Uint8Array([104, 105, 10]));
        process.stdout.write('6869210a', 'hex');
        return new Promise((resolve) => process.stdout.write('cb\\n', resolve));
      });
      await pool.terminate();
    `);
    assert.equal(status, 0);
    assert.equal(stdout, 'hi\nhi!\ncb\n');
  });
});

describe('a task cannot forge the pool’s protocol (item 13)', () => {
  test('what a task posts on parentPort is ignored', T, async () => {
    const pool = new ThreadPool({ workers: 2, threads: 1 });
    try {
      const victim = pool.applyAsync(async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return 'real';
      });
      const forged = await pool.apply(async () => {
        const { parentPort } = await import('node:worker_threads');
        parentPort?.postMessage(['progress', 50]);
        parentPort?.postMessage(null);
        parentPort?.postMessage({ t: 'ready' });
        parentPort?.postMessage({ t: 'init-failed', error: { $error: false, value: 1 } });
        // (seq, outcome, value) triples for every seq a results batch could name.
        for (let seq = 0; seq < 10; seq++) parentPort?.postMessage([seq, 0, 'forged']);
        return 'mine';
      });
      assert.equal(forged, 'mine');
      assert.equal(await victim.get(), 'real');
      assert.equal(await pool.apply(() => 'still working'), 'still working');
    } finally {
      await pool.terminate();
    }
  });

  test('the pool’s channel is not reachable through workerData', T, async () => {
    const pool = new ThreadPool(1);
    try {
      const seen = await pool.apply(async () => {
        const { workerData } = await import('node:worker_threads');
        return (workerData as { port?: unknown }).port === undefined;
      });
      assert.equal(seen, true);
    } finally {
      await pool.terminate();
    }
  });
});

describe('task code cannot break the runtime of its thread (item 14)', () => {
  /** Four async tasks one at a time: nothing else comes along to wake the thread's task loop. */
  async function oneAtATime(pool: ThreadPool): Promise<number[]> {
    const results: number[] = [];
    for (let i = 0; i < 4; i++) {
      results.push(
        await pool.apply(
          async (n: number) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return n * 2;
          },
          [i],
        ),
      );
    }
    return results;
  }

  test(
    'a fake setImmediate (as fake-timer libraries install) leaves later tasks working',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 4, threads: 1 });
      try {
        await pool.apply(() => {
          // Callbacks wait for a clock that never ticks.
          (globalThis as Record<string, unknown>).setImmediate = () => ({});
        });
        assert.deepEqual(await oneAtATime(pool), [0, 2, 4, 6]);
      } finally {
        await pool.terminate();
      }
    },
  );

  test(
    'replacing Date.now, hrtime, queueMicrotask and Atomics leaves it working too',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 4, threads: 1 });
      try {
        const first = await pool.apply(async () => {
          const { threadId } = await import('node:worker_threads');
          const g = globalThis as Record<string, unknown>;
          g.queueMicrotask = () => {};
          Date.now = () => 0;
          process.hrtime.bigint = () => 0n;
          g.Atomics = {};
          return threadId;
        });
        assert.deepEqual(await oneAtATime(pool), [0, 2, 4, 6]);
        assert.deepEqual(await pool.map((x: number) => x + 1, [1, 2, 3]), [2, 3, 4]);
        // Still the same thread: none of it killed the thread.
        const last = await pool.apply(async () => (await import('node:worker_threads')).threadId);
        assert.equal(last, first);
      } finally {
        await pool.terminate();
      }
    },
  );
});

describe('a live pool’s function registry is bounded (item 16)', () => {
  test('thousands of distinct inline functions, then the first ones again, all run', {
    timeout: 60_000,
  }, async () => {
    const pool = new ThreadPool({ workers: 2, threads: 1 });
    try {
      const make = (i: number) =>
        new Function(`return function f${i}(x) { return x + ${i}; }`)() as (x: number) => number;
      const first = Array.from({ length: 20 }, (_, i) => make(i));
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 3000; i += 100) {
          const batch = Array.from({ length: 100 }, (_, j) => make(i + j));
          const values = await Promise.all(batch.map((fn) => pool.apply(fn, [1])));
          assert.deepEqual(
            values,
            Array.from({ length: 100 }, (_, j) => 1 + i + j),
          );
        }
        // Evicted long ago, in this thread and maybe in the registry: defined again when used.
        const again = await Promise.all(first.map((fn) => pool.apply(fn, [0])));
        assert.deepEqual(
          again,
          Array.from({ length: 20 }, (_, i) => i),
        );
      }
    } finally {
      await pool.terminate();
    }
  });

  test('a thread keeps a bounded number of compiled functions', { timeout: 60_000 }, () => {
    const { status, stdout, stderr } = runScript(
      `
      import { ThreadPool } from 'spindle';
      const pool = new ThreadPool({ workers: 4, threads: 1 });
      const heap = () => pool.apply(() => { globalThis.gc?.(); return process.memoryUsage().heapUsed; });
      const burst = async (from) => {
        for (let i = from; i < from + 6000; i += 200) {
          await Promise.all(Array.from({ length: 200 }, (_, j) =>
            pool.apply(new Function('return (x) => x + ' + (i + j) + ' + "' + 'x'.repeat(2000) + '".length')(), [1])));
        }
      };
      await burst(0);
      const first = await heap();
      await burst(100000);
      const second = await heap();
      console.log(JSON.stringify({ first, second }));
      await pool.terminate();
    `,
      ['--expose-gc'],
    );
    assert.equal(stderr, '');
    assert.equal(status, 0);
    const { first, second } = JSON.parse(stdout) as { first: number; second: number };
    // Unbounded, the second burst of 6,000 more functions (2 kB of source each) would add
    // well over 12 MB to the thread's heap.
    assert.ok(second - first < 8_000_000, `the thread's heap grew by ${second - first} bytes`);
  });
});
