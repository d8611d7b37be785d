// progress(value) from spindle/task: each value reaches the caller's onProgress in order, on the
// main thread, before the result; a throwing onProgress is reported like other callbacks; a value
// that cannot be cloned, or a call outside a running task, is a clear error inside the task.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { isMainThread, threadId } from 'node:worker_threads';
import { CancelledError, fromModule, ThreadPool, ThreadPoolExecutor } from 'spindle';
import { delay, rejection, runScript, T } from '../helpers.js';

const tasks = fromModule<typeof import('../fixtures/control-tasks.mjs')>(
  new URL('../fixtures/control-tasks.mjs', import.meta.url),
);

async function mixed(n: number): Promise<number> {
  const { progress } = await import('spindle/task');
  for (let i = 0; i < n; i++) {
    progress({ i });
    if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return n;
}

function syncReport(n: number): number {
  // Inline functions reach the API with import(): here it is already loaded in this thread.
  const api = (globalThis as Record<symbol, { sync?: { progress(v: unknown): void } }>)[
    Symbol.for('spindle.task-context.v1')
  ];
  for (let i = 0; i < n; i++) api?.sync?.progress(i);
  return n;
}

for (const threads of [2, 0]) {
  describe(`progress (${threads === 0 ? 'threads: 0' : 'worker threads'})`, () => {
    test('in order, before the result, for many tasks at once', T, async () => {
      await using pool = new ThreadPool({ workers: 8, threads });
      const calls = 40;
      const logs: unknown[][] = [];
      const results = [];
      for (let c = 0; c < calls; c++) {
        const log: unknown[] = [];
        logs.push(log);
        const n = 50 + c;
        results.push(
          pool.applyAsync(c % 2 ? mixed : tasks.report, [n], {
            onProgress: (value) => log.push(value),
            callback: (result) => log.push(`result ${result}`),
          }),
        );
      }
      await Promise.all(results);
      logs.forEach((log, c) => {
        const n = 50 + c;
        const expected = Array.from({ length: n }, (_, i) => (c % 2 ? { i } : i));
        assert.deepEqual(log, [...expected, `result ${n}`], `call ${c}`);
      });
    });

    test('the executor: submitWith({ onProgress })', T, async () => {
      await using executor = new ThreadPoolExecutor({ maxWorkers: 2, threads });
      const seen: unknown[] = [];
      const future = executor.submitWith({ onProgress: (v) => seen.push(v) }, tasks.report, 5);
      assert.equal(await future.result(), 5);
      assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    });

    test('a throwing onProgress goes to the error event; the result is unaffected', T, async () => {
      await using pool = new ThreadPool({ workers: 1, threads });
      const errors: unknown[] = [];
      pool.on('error', (error) => errors.push(error));
      const boom = new Error('onProgress failed');
      const result = await pool.apply(tasks.report, [3], {
        onProgress: () => {
          throw boom;
        },
      });
      assert.equal(result, 3);
      assert.deepEqual(errors, [boom, boom, boom]);
    });

    test('a value that cannot be cloned is an error inside the task', T, async () => {
      await using pool = new ThreadPool({ workers: 1, threads });
      const result = await pool.apply(
        async () => {
          const { progress } = await import('spindle/task');
          try {
            progress(Symbol('no'));
            return 'sent';
          } catch (error) {
            return `${(error as Error).name}: ${(error as Error).message}`;
          }
        },
        [],
        { onProgress: () => {} },
      );
      // The main thread passes values by reference: only a thread clones them.
      if (threads === 0) assert.equal(result, 'sent');
      else
        assert.match(
          result,
          /^DataCloneError: progress\(\) was given a value that cannot be cloned/,
        );
    });

    test('progress() after the task settled throws inside the thread', T, async () => {
      await using pool = new ThreadPool({ workers: 1, threads });
      const sab = new SharedArrayBuffer(4);
      await pool.apply(
        async (shared: SharedArrayBuffer) => {
          const { progress } = await import('spindle/task');
          setTimeout(() => {
            try {
              progress('late');
              Atomics.store(new Int32Array(shared), 0, 1);
            } catch (error) {
              Atomics.store(
                new Int32Array(shared),
                0,
                /after its task settled/.test(String(error)) ? 2 : 3,
              );
            }
          }, 10);
        },
        [sab],
        { onProgress: () => assert.fail('no progress after the result') },
      );
      for (let i = 0; i < 200 && Atomics.load(new Int32Array(sab), 0) === 0; i++) await delay(2);
      assert.equal(Atomics.load(new Int32Array(sab), 0), 2);
    });

    test('terminate() from onProgress: the task rejects with CancelledError', T, async () => {
      const pool = new ThreadPool({ workers: 1, threads });
      const error = await rejection(
        pool.apply(tasks.report, [1000], { onProgress: () => void pool.terminate() }),
      );
      assert.ok(error instanceof CancelledError);
      await pool.join();
    });

    test('aborting from onProgress: the task rejects with the reason', T, async () => {
      await using pool = new ThreadPool({ workers: 1, threads });
      const controller = new AbortController();
      const seen: unknown[] = [];
      const error = await rejection(
        pool.apply(tasks.report, [1000], {
          signal: controller.signal,
          onProgress: (value) => {
            seen.push(value);
            if (value === 3) controller.abort('enough');
          },
        }),
      );
      assert.equal(error, 'enough');
      assert.deepEqual(seen.slice(0, 4), [0, 1, 2, 3]);
      assert.ok(!seen.includes(999), 'no progress is delivered once the call rejected');
    });
  });
}

describe('progress of a synchronous task', () => {
  test('arrives while the task still runs', T, async () => {
    await using pool = new ThreadPool({ workers: 1, threads: 1 });
    const sab = new SharedArrayBuffer(4);
    const firstSeenWhile: number[] = [];
    const result = await pool.apply(
      async (shared: SharedArrayBuffer) => {
        const { progress } = await import('spindle/task');
        // From here on synchronous: 300 ms of work, reporting as it goes.
        const words = new Int32Array(shared);
        const start = Date.now();
        let i = 0;
        while (Date.now() - start < 300) progress(i++);
        Atomics.store(words, 0, 1);
        return i;
      },
      [sab],
      {
        onProgress: () => {
          if (firstSeenWhile.length === 0)
            firstSeenWhile.push(Atomics.load(new Int32Array(sab), 0));
        },
      },
    );
    assert.ok(result > 0);
    assert.deepEqual(firstSeenWhile, [0], 'the first value came before the task finished');
  });

  test('through the registered slot, as a bundled copy of spindle/task reaches it', T, async () => {
    await using pool = new ThreadPool({ workers: 1, threads: 1 });
    const seen: unknown[] = [];
    await pool.apply(tasks.report, [1], { onProgress: () => {} }); // loads the API in the thread
    assert.equal(await pool.apply(syncReport, [3], { onProgress: (v) => seen.push(v) }), 3);
    assert.deepEqual(seen, [0, 1, 2]);
  });
});

describe('spindle/task outside a task', () => {
  test('signal() and progress() throw a clear error', async () => {
    const api = await import('spindle/task');
    assert.throws(
      () => api.signal(),
      /signal\(\) of 'spindle\/task' was called outside a running task/,
    );
    assert.throws(
      () => api.progress(1),
      /progress\(\) of 'spindle\/task' was called outside a running task/,
    );
  });

  test('the CommonJS copy and the ES module copy see the same task (threads: 0)', T, async () => {
    const cjs = createRequire(import.meta.url)('spindle/task') as typeof import('spindle/task');
    await using pool = new ThreadPool({ workers: 1, threads: 0 });
    const controller = new AbortController();
    const seen: unknown[] = [];
    const result = await pool.apply(
      () => {
        cjs.progress('from the CommonJS copy');
        return cjs.signal() !== undefined && isMainThread && threadId === 0;
      },
      [],
      { signal: controller.signal, onProgress: (v) => seen.push(v) },
    );
    assert.equal(result, true);
    assert.deepEqual(seen, ['from the CommonJS copy']);
  });

  test('concurrent async tasks on one thread each see their own signal', T, async () => {
    for (const threads of [1, 0]) {
      await using pool = new ThreadPool({ workers: 16, threads });
      const ids = Array.from({ length: 16 }, (_, i) => i);
      const controllers = ids.map(() => new AbortController());
      const results = await Promise.all(
        ids.map((id) =>
          pool.apply(tasks.ownSignal, [id, 5 + ((id * 7) % 20)], {
            signal: (controllers[id] as AbortController).signal,
          }),
        ),
      );
      assert.deepEqual(results, ids, `threads: ${threads}`);
    }
  });

  // A fresh process: spindle/task is first loaded by the task itself, after it started.
  test('a task issued without options that imports spindle/task sees its signal (threads: 0)', () => {
    const run = runScript(`
      import { ThreadPool } from 'spindle';
      const pool = new ThreadPool({ workers: 1, threads: 0 });
      const seen = await pool.apply(async () => {
        const { signal } = await import('spindle/task');
        return signal().aborted;
      });
      console.log(JSON.stringify(seen));
      await pool.terminate();
    `);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout.trim(), 'false');
  });

  test('listeners left on the signal of tasks issued without options do not pile up', () => {
    for (const threads of [1, 0]) {
      const run = runScript(`
        import { ThreadPool } from 'spindle';
        const pool = new ThreadPool({ workers: 1, threads: ${threads} });
        const leave = async () => {
          const { signal } = await import('spindle/task');
          signal().addEventListener('abort', () => {}); // never removed, as fetch() callers do
        };
        for (let i = 0; i < 20; i++) await pool.apply(leave);
        console.log('done');
        await pool.terminate();
      `);
      assert.equal(run.stderr, '', `threads: ${threads}`);
      assert.equal(run.stdout.trim(), 'done', `threads: ${threads}`);
    }
  });
});
