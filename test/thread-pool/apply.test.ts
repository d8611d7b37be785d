import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AsyncResult, InvalidStateError, TimeoutError } from 'spindle';
import { hosts, rejection, T } from '../helpers.js';

for (const host of hosts)
  describe(`apply and applyAsync (${host.name})`, () => {
    const pool = host.pool(4);
    after(() => pool.terminate());

    test('apply runs the function in a thread with its arguments', T, async () => {
      assert.equal(await pool.apply((a: number, b: number) => a + b, [2, 3]), 5);
      assert.equal(await pool.apply(() => 'no args'), 'no args');
      const { isMainThread } = await import('node:worker_threads');
      assert.equal(isMainThread, true);
      const where = await pool.apply(async () => ({
        mainThread: (await import('node:worker_threads')).isMainThread,
        pid: process.pid,
      }));
      // A thread of this process, or the main thread of a child process.
      if (host.name === 'threads') assert.deepEqual(where, { mainThread: false, pid: process.pid });
      else assert.equal(where.pid === process.pid, false);
    });

    test('async task functions resolve to their awaited value', T, async () => {
      const value = await pool.apply(
        async (x: number) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return x * 10;
        },
        [4],
      );
      assert.equal(value, 40);
    });

    test('applyAsync returns an AsyncResult at once; get/ready/successful/wait', T, async () => {
      const result = pool.applyAsync(
        async (ms: number) => {
          await new Promise((resolve) => setTimeout(resolve, ms));
          return 'done';
        },
        [100],
      );
      assert.ok(result instanceof AsyncResult);
      assert.equal(result.ready(), false);
      assert.throws(() => result.successful(), InvalidStateError);
      assert.equal(await result.wait(10), false);
      assert.equal(await result.get(), 'done');
      assert.equal(result.ready(), true);
      assert.equal(result.successful(), true);
      assert.equal(await result.wait(), true);
      assert.equal(await result.wait(0), true);
      assert.equal(await result, 'done');
      // A real promise, taken as it is by Promise.resolve / await / Promise.all.
      assert.ok(result instanceof Promise);
      assert.equal(Promise.resolve(result), result);
      assert.deepEqual(await Promise.all([result, pool.applyAsync(() => 2)]), ['done', 2]);
    });

    test('get(timeout) rejects with TimeoutError and the task goes on', T, async () => {
      const result = pool.applyAsync(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return 7;
      });
      const error = await rejection(result.get(30));
      assert.ok(error instanceof TimeoutError);
      assert.equal((error as Error).name, 'TimeoutError');
      assert.equal(result.ready(), false, 'the timeout fired while the task was still running');
      assert.ok((await rejection(result.get(0))) instanceof TimeoutError);
      assert.equal(await result.get(10_000), 7);
      assert.equal(await result.get(0), 7);
    });

    test('callback runs with the result before get() and wait() resolve', T, async () => {
      const seen: number[] = [];
      const result = pool.applyAsync((x: number) => x + 1, [41], {
        callback: (value) => seen.push(value),
      });
      await result.wait();
      assert.deepEqual(seen, [42]);
      assert.equal(await result.get(), 42);
    });

    test('errorCallback runs with the error before get() rejects', T, async () => {
      const seen: unknown[] = [];
      const result = pool.applyAsync(
        () => {
          throw new Error('boom');
        },
        [],
        { callback: () => seen.push('callback'), errorCallback: (error) => seen.push(error) },
      );
      assert.equal(await result.wait(), true);
      assert.equal(seen.length, 1);
      assert.equal((seen[0] as Error).message, 'boom');
      assert.equal(result.successful(), false);
      assert.equal(await rejection(result.get()), seen[0]);
    });

    test(
      'task errors keep class, name, message, code, own properties, cause and stack',
      T,
      async () => {
        const error = await rejection(
          pool.apply(() => {
            class ParseError extends TypeError {
              constructor(message: string, options?: ErrorOptions) {
                super(message, options);
                this.name = 'ParseError';
              }
            }
            const root = new RangeError('root cause');
            (root as RangeError & { code: string }).code = 'E_ROOT';
            const thrown = new ParseError('cannot parse', { cause: root });
            Object.assign(thrown, { code: 'E_PARSE', line: 12, details: { token: '}' } });
            throw thrown;
          }),
        );
        assert.ok(error instanceof TypeError, 'a subclass of a built-in keeps the built-in class');
        const e = error as TypeError & {
          code: string;
          line: number;
          details: unknown;
          cause: unknown;
        };
        assert.equal(e.name, 'ParseError');
        assert.equal(e.message, 'cannot parse');
        assert.equal(e.code, 'E_PARSE');
        assert.equal(e.line, 12);
        assert.deepEqual(e.details, { token: '}' });
        assert.ok(e.cause instanceof RangeError);
        assert.equal((e.cause as RangeError).message, 'root cause');
        assert.equal((e.cause as RangeError & { code: string }).code, 'E_ROOT');
        assert.match(String(e.stack), /cannot parse/);
        assert.match(
          String(e.stack),
          /apply\.test\.ts:\d+:\d+/,
          'the stack shows where the task threw, in the file the task function was written in',
        );
      },
    );

    test('built-in error classes survive for instanceof', T, async () => {
      for (const kind of [
        'TypeError',
        'RangeError',
        'SyntaxError',
        'ReferenceError',
        'URIError',
        'EvalError',
      ]) {
        const error = await rejection(
          pool.apply(
            (name: string) => {
              const Ctor = (globalThis as unknown as Record<string, ErrorConstructor>)[
                name
              ] as ErrorConstructor;
              throw new Ctor(`a ${name}`);
            },
            [kind],
          ),
        );
        assert.equal((error as Error).constructor.name, kind);
        assert.equal((error as Error).message, `a ${kind}`);
      }
    });

    test('thrown non-errors arrive as themselves', T, async () => {
      assert.equal(
        await rejection(
          pool.apply(() => {
            throw 'a string';
          }),
        ),
        'a string',
      );
      assert.deepEqual(
        await rejection(
          pool.apply(() => {
            throw { reason: 42 };
          }),
        ),
        { reason: 42 },
      );
    });

    test(
      'an AsyncResult that fails and is never awaited causes no unhandled rejection',
      T,
      async () => {
        const unhandled: unknown[] = [];
        const listener = (reason: unknown) => unhandled.push(reason);
        process.on('unhandledRejection', listener);
        try {
          const result = pool.applyAsync(() => {
            throw new Error('nobody looks');
          });
          while (!result.ready()) await new Promise((resolve) => setTimeout(resolve, 5));
          await new Promise((resolve) => setTimeout(resolve, 50));
          assert.deepEqual(unhandled, []);
        } finally {
          process.off('unhandledRejection', listener);
        }
      },
    );

    test('ArrayBuffers in transfer move without copying', T, async () => {
      const buffer = new ArrayBuffer(1024);
      new Uint8Array(buffer).fill(3);
      const sum = await pool.apply(
        (data: ArrayBuffer) => new Uint8Array(data).reduce((a, b) => a + b, 0),
        [buffer],
        { transfer: [buffer] },
      );
      assert.equal(sum, 3 * 1024);
      assert.equal(buffer.byteLength, 0, 'the buffer was transferred (detached here)');
    });

    host.sharedMemoryTest('SharedArrayBuffers are shared with the thread', T, async () => {
      const shared = new SharedArrayBuffer(4);
      await pool.apply(
        (memory: SharedArrayBuffer) => {
          Atomics.store(new Int32Array(memory), 0, 99);
        },
        [shared],
      );
      assert.equal(Atomics.load(new Int32Array(shared), 0), 99);
    });
  });
