// ThreadPoolExecutor: the behaviour of CPython's concurrent.futures tests (executor.py,
// test_thread_pool.py, test_shutdown.py, test_init.py), ported to spindle's API.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  BrokenPoolError,
  CancelledError,
  type Future,
  fromModule,
  InvalidStateError,
  type ThreadPoolExecutor,
  TimeoutError,
} from 'spindle';
import {
  type AtomicsWithWaitAsync,
  bump,
  Counters,
  delay,
  divmod,
  Event,
  gc,
  hosts,
  mul,
  rejection,
  runScript,
  sleep,
  T,
  until,
  waitEvent,
} from '../helpers.js';

/** Collects an async iterator into an array. */
async function list<R>(iterator: AsyncIterable<R>): Promise<R[]> {
  const values: R[] = [];
  for await (const value of iterator) values.push(value);
  return values;
}

function range(n: number): number[] {
  return [...Array(n).keys()];
}

for (const host of hosts) {
  // One executor for the tests that need nothing special (threads take a while to start under tsx).
  let shared: ThreadPoolExecutor;
  before(async () => {
    shared = host.executor({ maxWorkers: 4, threads: 2 });
    await Promise.all([shared.submit(sleep, 20), shared.submit(sleep, 20)]);
  });
  after(() => shared.shutdown());

  describe(`ThreadPoolExecutor: submit (${host.name})`, () => {
    test('submit with arguments (test_submit)', T, async () => {
      const executor = shared;
      const future = executor.submit((x: number, y: number) => x ** y, 2, 8);
      assert.equal(await future.result(), 256);
      assert.equal(await executor.submit(mul, 2, 8).result(), 16);
    });

    test('types flow from the function to the Future', T, async () => {
      const executor = shared;
      const doubled: Future<number> = executor.submit((a: number) => a * 2, 3);
      const text: Future<string> = executor.submit(async (s: string) => s.toUpperCase(), 'ab');
      assert.equal(await doubled, 6);
      assert.equal(await text, 'AB');
      // Compile-time only: the arguments are checked against the function's parameters.
      const _unchecked = () => {
        // @ts-expect-error: a string is not a number, and there is one argument too many.
        executor.submit((a: number) => a, 'x', 2);
      };
      assert.equal(typeof _unchecked, 'function');
    });

    test('submit validates the function synchronously', T, async () => {
      await using executor = host.executor({ maxWorkers: 1 });
      assert.throws(() => executor.submit(42 as never), TypeError);
      assert.throws(() => executor.submit(Math.max), TypeError);
      assert.throws(() => executor.submit(class {} as never), TypeError);
    });

    test('a task error is the future exception, with its class and message', T, async () => {
      const executor = shared;
      const future = executor.submit(divmod, 21, 0);
      const error = await future.exception();
      assert.ok(error instanceof RangeError);
      assert.equal(error.name, 'ZeroDivisionError');
      assert.equal(await rejection(future.result()), error);
      // Errors that are falsy in some sense are still errors (gh-132063).
      const empty = executor.submit(() => {
        throw new Error('');
      });
      assert.ok((await empty.exception()) instanceof Error);
    });

    test(
      'maxWorkers: default min(32, cores + 4) (processes: cores, as Python); not a positive integer is a RangeError',
      T,
      async () => {
        const executor = host.executor();
        const cores = availableParallelism();
        assert.equal(executor.maxWorkers, host.sharesMemory ? Math.min(32, cores + 4) : cores);
        assert.equal(executor.threads, Math.min(executor.maxWorkers, availableParallelism()));
        await executor.shutdown();
        for (const maxWorkers of [0, -1, 1.5]) {
          assert.throws(() => host.executor({ maxWorkers }), {
            name: 'RangeError',
            message: /maxWorkers.*greater than 0/,
          });
        }
        assert.throws(() => host.executor(0), RangeError);
        assert.throws(() => host.executor({ maxWorkers: '4' as never }), TypeError);
        assert.throws(() => host.executor({ workers: 4 } as never), TypeError);
        assert.throws(() => host.executor({ threads: -1 }), RangeError);
        assert.equal(host.executor(3).maxWorkers, 3);
      },
    );

    test('tasks from a task module (fromModule)', T, async () => {
      const tasks = fromModule<typeof import('../fixtures/typed-tasks.js')>(
        new URL('../fixtures/typed-tasks.ts', import.meta.url),
      );
      const executor = shared;
      const norm: Future<number> = executor.submit(tasks.norm, { x: 3, y: 4 });
      assert.equal(await norm, 5);
      const joined = await list(executor.map(tasks.join, [['a', 'b'], ['c']], ['-', '+']));
      assert.deepEqual(joined, ['a-b', 'c']);
    });

    test('threads: 0 runs calls on the main thread, closures included', T, async () => {
      let calls = 0;
      await using executor = host.executor({ maxWorkers: 4, threads: 0 });
      const futures = range(5).map((i) =>
        executor.submit(async (x: number) => {
          calls++;
          await delay(5);
          return x * 10;
        }, i),
      );
      assert.deepEqual(await Promise.all(futures), [0, 10, 20, 30, 40]);
      assert.equal(calls, 5);
    });
  });

  describe(`ThreadPoolExecutor: map (${host.name})`, () => {
    test('map over two iterables zips them, stopping at the shortest (test_map)', T, async () => {
      const executor = shared;
      const expected = range(10).map((x) => x ** x);
      const pow = (x: number, y: number) => x ** y;
      assert.deepEqual(await list(executor.map(pow, range(10), range(10))), expected);
      assert.deepEqual(
        await list(executor.map(pow, range(10), range(10), { chunksize: 3 })),
        expected,
      );
      assert.deepEqual(await list(executor.map(pow, range(10), range(3))), expected.slice(0, 3));
      assert.deepEqual(await list(executor.map(pow, [], range(3))), []);
      const strings = executor.map((s: string) => s, 'abc');
      assert.deepEqual(await list(strings), ['a', 'b', 'c']);
      // Python's list(executor.map(...)).
      const it = executor.map((x: number) => x + 1, range(5));
      assert.equal((await it.next()).value, 1);
      assert.deepEqual(await it.toArray(), [2, 3, 4, 5]);
    });

    test(
      'map exception at the third item; the iteration goes on past it (test_map_exception)',
      T,
      async () => {
        const executor = shared;
        for (const chunksize of [1, 3]) {
          const it = executor.map(
            divmod,
            [5, 5, 5, 5],
            chunksize === 1 ? [2, 3, 0, 5] : [2, 0, 3, 5],
            {
              chunksize,
            },
          );
          assert.deepEqual((await it.next()).value, [2, 1]);
          if (chunksize === 1) assert.deepEqual((await it.next()).value, [1, 2]);
          const error = await rejection(it.next());
          assert.equal((error as Error).name, 'ZeroDivisionError');
          if (chunksize === 3) assert.deepEqual((await it.next()).value, [1, 2]);
          assert.deepEqual((await it.next()).value, [1, 0]);
          assert.equal((await it.next()).done, true);
          assert.equal((await it.next()).done, true);
        }
      },
    );

    test('for await stops at a failed call', T, async () => {
      const executor = shared;
      const seen: number[] = [];
      const error = await rejection(
        (async () => {
          for await (const [q] of executor.map(divmod, [1, 1, 1, 1], [2, 3, 0, 5])) seen.push(q);
        })(),
      );
      assert.equal((error as Error).name, 'ZeroDivisionError');
      assert.deepEqual(seen, [0, 0]);
    });

    test('map timeout, counted from the call (test_map_timeout)', T, async () => {
      // One thread, started beforehand: the timeout measures the calls, not a thread's start.
      await using executor = host.executor({ maxWorkers: 3, threads: 1 });
      await executor.submit(() => 0);
      const results: number[] = [];
      const it = executor.map(sleep, [0, 0, 1_500], { timeout: 500 });
      const error = await rejection(
        (async () => {
          for await (const result of it) results.push(result);
        })(),
      );
      assert.ok(error instanceof TimeoutError, String(error));
      // On a heavily loaded machine even the quick calls may miss the deadline (gh-110097).
      assert.ok(
        [[0, 0], [0], []].some((r) => r.length === results.length),
        String(results),
      );
      assert.deepEqual(results, [0, 0].slice(0, results.length));
      // The remaining calls are cancelled, so the iterator is exhausted.
      assert.equal((await it.next()).done, true);
      assert.equal((await it.next()).done, true);
    });

    host.sharedMemoryTest(
      'a timeout cancels the calls not started (test_executor_map_current_future_cancel)',
      T,
      async () => {
        const event = new Event();
        const started = new Counters(3);
        const logWait = async (ident: number, sab: SharedArrayBuffer, gate: SharedArrayBuffer) => {
          Atomics.add(new Int32Array(sab), ident, 1);
          const cell = new Int32Array(gate);
          while (Atomics.load(cell, 0) === 0) {
            const waiting = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(cell, 0, 0);
            if (waiting.async) await waiting.value;
          }
          return ident;
        };
        await using executor = host.executor({ maxWorkers: 1 });
        const first = executor.submit(logWait, 0, started.sab, event.sab);
        try {
          const it = executor.map(
            logWait,
            [1, 2],
            [started.sab, started.sab],
            [event.sab, event.sab],
            {
              timeout: 0,
            },
          );
          assert.ok((await rejection(it.next())) instanceof TimeoutError);
          await it.return();
        } finally {
          event.set();
        }
        assert.equal(await first.result(), 0);
        await executor.shutdown();
        assert.deepEqual(started.all(), [1, 0, 0]);
      },
    );

    test('a TimeoutError thrown by the function is not the map timeout', T, async () => {
      const executor = shared;
      const timeoutOnOne = (x: number) => {
        if (x === 1) {
          const error = new Error('from the task');
          error.name = 'TimeoutError';
          throw error;
        }
        return x;
      };
      for (const timeout of [undefined, 10_000]) {
        const it = executor.map(timeoutOnOne, [0, 1, 2, 3], { timeout });
        assert.equal((await it.next()).value, 0);
        assert.equal(((await rejection(it.next())) as Error).message, 'from the task');
        assert.equal((await it.next()).value, 2);
        assert.equal((await it.next()).value, 3);
        assert.equal((await it.next()).done, true);
      }
    });

    test('return() ends the iteration (test_map_close)', T, async () => {
      const executor = shared;
      for (const chunksize of [1, 3]) {
        const it = executor.map(divmod, [5, 5, 5, 5], [2, 0, 3, 5], { chunksize });
        assert.deepEqual((await it.next()).value, [2, 1]);
        await it.return();
        assert.equal((await it.next()).done, true);
        assert.equal((await it.next()).done, true);
      }
    });

    host.sharedMemoryTest(
      'breaking out of for await cancels the calls not started',
      T,
      async () => {
        const ran = new Counters(1);
        await using executor = host.executor({ maxWorkers: 1 });
        const slowBump = async (sab: SharedArrayBuffer) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return Atomics.add(new Int32Array(sab), 0, 1);
        };
        for await (const _ of executor.map(slowBump, Array(20).fill(ran.sab))) break;
        await executor.shutdown();
        assert.ok(ran.get(0) < 5, `${ran.get(0)} calls ran`);
      },
    );

    host.sharedMemoryTest(
      'map submits every call without iteration (test_map_submits_without_iteration)',
      T,
      async () => {
        const finished = new Counters(10);
        const executor = host.executor({ maxWorkers: 4 });
        executor.map(bump, Array(10).fill(finished.sab), range(10));
        await executor.shutdown({ wait: true });
        assert.deepEqual(finished.all(), Array(10).fill(1));
      },
    );

    test(
      'buffersize: results in order, one or several iterables (test_map_buffersize*)',
      T,
      async () => {
        const executor = shared;
        for (const buffersize of [1, 2, 4, 8]) {
          assert.deepEqual(
            await list(executor.map((x: number) => String(x), range(4), { buffersize })),
            ['0', '1', '2', '3'],
          );
          const add = (a: number, b: number) => a + b;
          assert.deepEqual(
            await list(executor.map(add, range(4), range(4), { buffersize })),
            [0, 2, 4, 6],
          );
          for (const chunksize of [1, 2, 9, 11]) {
            const pow = (a: number, b: number) => a ** b;
            assert.deepEqual(
              await list(executor.map(pow, range(10), range(10), { buffersize, chunksize })),
              range(10).map((x) => x ** x),
            );
          }
        }
      },
    );

    test('buffersize on infinite, empty and absent iterables', T, async () => {
      const executor = shared;
      function* count() {
        for (let i = 0; ; i++) yield i;
      }
      const res = executor.map((x: number) => String(x), count(), { buffersize: 2 });
      assert.equal((await res.next()).value, '0');
      assert.equal((await res.next()).value, '1');
      assert.equal((await res.next()).value, '2');
      await res.return();
      const add = executor.map((a: number, b: number) => a + b, count(), count(), {
        buffersize: 2,
      });
      assert.deepEqual([(await add.next()).value, (await add.next()).value], [0, 2]);
      await add.return();
      assert.equal(
        (await executor.map((x: number) => String(x), [], { buffersize: 2 }).next()).done,
        true,
      );
      assert.equal((await executor.map(() => 1, { buffersize: 2 }).next()).done, true);
    });

    test(
      'buffersize reads only that far ahead (test_map_buffersize_when_buffer_is_full)',
      T,
      async () => {
        const executor = host.executor({ maxWorkers: 2 });
        const ints = [0, 1, 2, 3][Symbol.iterator]();
        const iterable = { [Symbol.iterator]: () => ints };
        executor.map((x: number) => String(x), iterable, { buffersize: 2 });
        await executor.shutdown({ wait: true });
        assert.equal(ints.next().value, 2, 'should have fetched only `buffersize` elements');
      },
    );

    host.sharedMemoryTest(
      'buffersize: one more call is submitted each time a result is taken',
      T,
      async () => {
        const started = new Counters(10);
        const total = () => started.all().reduce((a, b) => a + b, 0);
        await using executor = host.executor({ maxWorkers: 1 });
        await executor.submit(() => 0);
        const it = executor.map(bump, Array(10).fill(started.sab), range(10), { buffersize: 3 });
        await until(() => total() >= 3, 5_000, 'the first calls');
        await delay(50);
        assert.equal(total(), 3);
        await it.next();
        await until(() => total() >= 4, 5_000, 'one more call');
        await delay(50);
        assert.equal(total(), 4);
        await it.return();
      },
    );

    test('buffersize: after shutdown the map cannot submit more, and says so', T, async () => {
      const executor = host.executor({ maxWorkers: 2 });
      const it = executor.map((x: number) => String(x), range(5), { buffersize: 2 });
      await executor.shutdown();
      assert.equal((await it.next()).value, '0');
      assert.equal((await it.next()).value, '1');
      assert.ok((await rejection(it.next())) instanceof InvalidStateError);
      assert.equal((await it.next()).done, true);
      // Nothing left to submit: no error.
      const executor2 = host.executor({ maxWorkers: 2 });
      const all = executor2.map((x: number) => String(x), range(2), { buffersize: 2 });
      await executor2.shutdown();
      assert.deepEqual(await list(all), ['0', '1']);
    });

    host.sharedMemoryTest(
      'each call of a chunk that fails as a whole fails (here: cancelled)',
      T,
      async () => {
        const event = new Event();
        const executor = host.executor({ maxWorkers: 1 });
        const blocker = executor.submit(waitEvent, event.sab);
        await until(() => blocker.running(), 5_000, 'the blocking call to start');
        const it = executor.map((x: number) => x, range(5), { chunksize: 2 });
        const shutdown = executor.shutdown({ cancelFutures: true });
        for (let i = 0; i < 5; i++)
          assert.ok((await rejection(it.next())) instanceof CancelledError);
        assert.equal((await it.next()).done, true);
        event.set();
        await shutdown;
      },
    );

    test('map validates its arguments synchronously', T, async () => {
      await using executor = host.executor({ maxWorkers: 1 });
      const f = (x: number) => x;
      for (const buffersize of ['foo', {}]) {
        assert.throws(() => executor.map(f, [1], { buffersize } as never), {
          name: 'TypeError',
          message: /buffersize/,
        });
      }
      for (const buffersize of [0, -1, 2.5]) {
        assert.throws(() => executor.map(f, [1], { buffersize }), {
          name: 'RangeError',
          message: /buffersize/,
        });
      }
      assert.throws(() => executor.map(f, [1], { chunksize: 0 }), RangeError);
      assert.throws(() => executor.map(f, [1], { timeout: -1 }), RangeError);
      assert.throws(() => executor.map(f, [1], { chunk: 2 } as never), TypeError);
      assert.throws(() => executor.map(f, 5 as never), TypeError);
      assert.throws(() => executor.map(42 as never, [1]), TypeError);
    });

    test('map reads async iterables too', T, async () => {
      const executor = shared;
      async function* numbers(n: number) {
        for (let i = 0; i < n; i++) {
          await delay(1);
          yield i;
        }
      }
      const add = (a: number, b: number) => a + b;
      assert.deepEqual(await list(executor.map(add, numbers(5), range(10))), [0, 2, 4, 6, 8]);
      assert.deepEqual(
        await list(executor.map(add, numbers(5), numbers(4), { buffersize: 2, chunksize: 2 })),
        [0, 2, 4, 6],
      );
    });

    test('an input error comes after the results of the items read before it', T, async () => {
      const executor = shared;
      function* failing() {
        yield 1;
        yield 2;
        throw new Error('input failed');
      }
      for (const options of [{}, { buffersize: 1 }, { chunksize: 2 }]) {
        const it = executor.map((x: number) => x * 10, failing(), options);
        assert.equal((await it.next()).value, 10);
        assert.equal((await it.next()).value, 20);
        assert.equal(((await rejection(it.next())) as Error).message, 'input failed');
        assert.equal((await it.next()).done, true);
      }
    });

    test(
      'the iterator keeps no reference to results it has handed out (test_free_reference)',
      T,
      async () => {
        const executor = shared;
        for (const chunksize of [1, 3]) {
          const it = executor.map((i: number) => ({ i }), range(10), { chunksize });
          // Each result is taken in a function of its own, so that no frame of this test holds it.
          const take = async () => {
            const { value } = await it.next();
            return value ? new WeakRef(value) : undefined;
          };
          let taken = 0;
          for (let ref = await take(); ref; ref = await take()) {
            taken++;
            await gc();
            assert.equal(ref.deref(), undefined, `result ${taken} (chunksize ${chunksize})`);
          }
          assert.equal(taken, 10);
        }
      },
    );
  });

  describe(`ThreadPoolExecutor: shutdown (${host.name})`, () => {
    test(
      'submit and map after shutdown throw InvalidStateError (test_run_after_shutdown)',
      T,
      async () => {
        const executor = host.executor({ maxWorkers: 2 });
        await executor.shutdown();
        assert.throws(() => executor.submit(mul, 2, 5), {
          name: 'InvalidStateError',
          message: /cannot schedule new futures after shutdown/,
        });
        assert.throws(() => executor.map(mul, [1], [2]), InvalidStateError);
        await executor.shutdown(); // Safe to call again.
      },
    );

    test('shutdown waits for every submitted call (test_hang_issue12364)', T, async () => {
      const executor = host.executor({ maxWorkers: 5 });
      const futures = range(50).map(() => executor.submit(sleep, 10));
      await executor.shutdown();
      for (const future of futures) assert.ok(future.done());
      assert.deepEqual(await Promise.all(futures), Array(50).fill(10));
    });

    test(
      'shutdown({ cancelFutures }) cancels what has not started (test_cancel_futures)',
      T,
      async () => {
        const executor = host.executor({ maxWorkers: 5 });
        const futures = range(50).map(() => executor.submit(sleep, 100));
        await executor.shutdown({ cancelFutures: true });
        const cancelled = futures.filter((f) => f.cancelled());
        assert.ok(cancelled.length > 20, `${cancelled.length} cancelled`);
        const others = futures.filter((f) => !f.cancelled());
        assert.ok(others.length > 0);
        for (const future of others) {
          assert.ok(future.done());
          assert.equal(await future.exception(), null);
        }
        for (const future of cancelled) {
          assert.ok((await rejection(future.result())) instanceof CancelledError);
        }
      },
    );

    host.sharedMemoryTest(
      'shutdown({ wait: false }) returns at once; running calls still finish',
      T,
      async () => {
        const event = new Event();
        const executor = host.executor({ maxWorkers: 3 });
        const future = executor.submit(waitEvent, event.sab, 'finished');
        await until(() => future.running(), 5_000, 'the call to start');
        await executor.shutdown({ wait: false });
        assert.equal(future.done(), false);
        event.set();
        assert.equal(await future.result(), 'finished');
        await executor.shutdown({ wait: true });
      },
    );

    test(
      'a cancelled future right before shutdown does not hang it (test_hang_gh94440)',
      T,
      async () => {
        const executor = host.executor({ maxWorkers: 1 });
        await executor.submit(() => 0).result();
        assert.equal(executor.submit(() => 0).cancel(), true);
        await executor.shutdown({ wait: true });
      },
    );

    test('await using shuts down with wait (test_context_manager_shutdown)', T, async () => {
      let outer: ThreadPoolExecutor;
      let future: Future<number>;
      {
        await using executor = host.executor({ maxWorkers: 5 });
        outer = executor;
        assert.deepEqual(
          await list(
            executor.map(
              (x: number) => Math.abs(x),
              range(10).map((x) => x - 5),
            ),
          ),
          [5, 4, 3, 2, 1, 0, 1, 2, 3, 4],
        );
        future = executor.submit(sleep, 50);
      }
      assert.ok(future.done());
      assert.throws(() => outer.submit(mul, 1, 2), InvalidStateError);
    });

    test('shutdown validates its options', T, async () => {
      const executor = host.executor({ maxWorkers: 1 });
      assert.throws(() => executor.shutdown({ wait: 'yes' } as never), TypeError);
      assert.throws(() => executor.shutdown({ cancel: true } as never), TypeError);
      await executor.shutdown(false);
      await executor.shutdown(true);
    });

    test(
      'a submitted call runs to completion without shutdown (test_interpreter_shutdown)',
      T,
      () => {
        const child = runScript(`
      import { ${host.executorClass} } from 'spindle';
      const executor = new ${host.executorClass}(5);
      executor.submit(async (ms, msg) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        console.log(msg);
      }, 300, 'apple');
    `);
        assert.equal(child.status, 0, child.stderr);
        assert.equal(child.stderr, '');
        assert.equal(child.stdout.trim(), 'apple');
      },
    );

    test(
      'shutdown({ wait: false }) with a running call exits after it (test_hang_gh83386)',
      T,
      () => {
        const child = runScript(`
      import { ${host.executorClass} } from 'spindle';
      const executor = new ${host.executorClass}({ maxWorkers: 3 });
      executor.submit(async (ms, msg) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        console.log(msg);
      }, 300, 'apple');
      executor.shutdown({ wait: false });
      executor.shutdown({ wait: false, cancelFutures: true });
    `);
        assert.equal(child.status, 0, child.stderr);
        assert.equal(child.stderr, '');
        assert.ok(['apple', ''].includes(child.stdout.trim()), child.stdout);
      },
    );

    test('an idle executor that is never shut down does not keep the process alive', T, () => {
      const child = runScript(`
      import { ${host.executorClass} } from 'spindle';
      const executor = new ${host.executorClass}({ maxWorkers: 4 });
      const results = [];
      for await (const r of executor.map((x) => x + 1, [1, 2, 3])) results.push(r);
      console.log(results.join(' '));
      executor.submit(() => 'fire and forget');
    `);
      assert.equal(child.status, 0, child.stderr);
      assert.equal(child.stdout.trim(), '2 3 4');
    });

    test(
      'an executor nobody references is shut down once collected (test_del_shutdown)',
      T,
      async () => {
        // Made in a function of its own, so that no frame of this test holds the executor.
        const make = () => {
          const executor = host.executor({ maxWorkers: 2 });
          return { ref: new WeakRef(executor), future: executor.submit(sleep, 20) };
        };
        const { ref, future } = make();
        assert.equal(await future.result(), 20);
        await gc();
        assert.equal(ref.deref(), undefined);
      },
    );
  });

  describe(`ThreadPoolExecutor: initializer (${host.name})`, () => {
    test('the initializer runs in each thread before its calls (test_init)', T, async () => {
      await using executor = host.executor({
        maxWorkers: 2,
        initializer: (status: string) => {
          (globalThis as { INITIALIZER_STATUS?: string }).INITIALIZER_STATUS = status;
        },
        initargs: ['initialized'],
      });
      const futures = range(4).map(() =>
        executor.submit(() => (globalThis as { INITIALIZER_STATUS?: string }).INITIALIZER_STATUS),
      );
      for (const future of futures) assert.equal(await future.result(), 'initialized');
    });

    test(
      'a failing initializer breaks the executor: BrokenPoolError with the cause',
      T,
      async () => {
        const executor = host.executor({
          maxWorkers: 2,
          initializer: async () => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            throw new TypeError('error in initializer');
          },
        });
        const futures = range(3).map(() => executor.submit(() => 1));
        for (const future of futures) {
          const error = await future.exception();
          assert.ok(error instanceof BrokenPoolError, inspect(error));
          assert.ok(error.cause instanceof TypeError, inspect(error));
          assert.equal((error.cause as Error).message, 'error in initializer');
        }
        // From this point on every new future fails at once, with the same error.
        const later = executor.submit(() => 2);
        assert.ok(later.done());
        assert.ok((await later.exception()) instanceof BrokenPoolError);
        const it = executor.map((x: number) => x, [1, 2]);
        assert.ok((await rejection(it.next())) instanceof BrokenPoolError);
        await executor.shutdown();
      },
    );
  });

  describe(`ThreadPoolExecutor: references and callbacks (${host.name})`, () => {
    test('no stale references to finished work (test_no_stale_references)', T, async () => {
      const executor = shared;
      // Made in a function of its own, so that no frame of this test holds them.
      const submit = () => {
        const myObject = { payload: new Array(1000).fill('x') };
        // Deliberately discarding the future (after keeping a weak reference to it).
        const future = executor.submit((o: { payload: string[] }) => o.payload.length, myObject);
        return { argRef: new WeakRef(myObject), futureRef: new WeakRef(future) };
      };
      const { argRef, futureRef } = submit();
      await until(() => (futureRef?.deref() as Future<number> | undefined)?.done() !== false);
      await gc();
      assert.equal(argRef.deref(), undefined, 'the argument is not kept');
      assert.equal(futureRef.deref(), undefined, 'the future is not kept');
    });

    test("a throwing done-callback is reported on the executor's 'error' event", T, async () => {
      await using executor = host.executor({ maxWorkers: 1 });
      const errors: unknown[] = [];
      executor.on('error', (error) => errors.push(error));
      const future = executor.submit(sleep, 20);
      const calls: string[] = [];
      future.addDoneCallback(() => {
        calls.push('raising');
        throw new Error('doh!');
      });
      future.addDoneCallback((f) => calls.push(`second ${f === future}`));
      assert.equal(await future.result(), 20);
      assert.deepEqual(calls, ['raising', 'second true']);
      assert.equal(errors.length, 1);
      assert.equal((errors[0] as Error).message, 'doh!');
      // Already done: called at once, and reported the same way.
      future.addDoneCallback(() => {
        throw new Error('doh again');
      });
      assert.equal((errors[1] as Error).message, 'doh again');
      assert.equal(await executor.submit(mul, 6, 7).result(), 42);
    });

    test('a throwing done-callback without listener is a warning', T, async () => {
      await using executor = host.executor({ maxWorkers: 1 });
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const future = executor.submit(mul, 2, 3);
        future.addDoneCallback(() => {
          throw new Error('doh!');
        });
        assert.equal(await future.result(), 6);
        await until(() => warnings.length > 0, 2_000, 'the warning');
        assert.match(warnings[0]?.message ?? '', /doh!/);
      } finally {
        process.off('warning', onWarning);
      }
    });
  });

  describe(`ThreadPoolExecutor: running and cancel (${host.name})`, () => {
    host.sharedMemoryTest(
      'cancel while running returns false; a queued call can be cancelled',
      T,
      async () => {
        const event = new Event();
        await using executor = host.executor({ maxWorkers: 1 });
        const running = executor.submit(waitEvent, event.sab, 'done');
        const queued = executor.submit(mul, 2, 3);
        await until(() => running.running(), 5_000, 'the call to start');
        assert.equal(running.cancel(), false);
        assert.equal(running.running(), true);
        assert.equal(queued.running(), false);
        assert.equal(queued.cancel(), true);
        assert.equal(queued.cancel(), true);
        assert.equal(queued.cancelled(), true);
        assert.equal(queued.done(), true);
        event.set();
        assert.equal(await running.result(), 'done');
        assert.equal(running.cancel(), false);
        assert.equal(running.running(), false);
        assert.ok((await rejection(queued)) instanceof CancelledError);
      },
    );

    host.sharedMemoryTest(
      'a call sent to a busy thread but not started can still be cancelled',
      T,
      async () => {
        const event = new Event();
        // One thread, several slots: the second call is sent to the thread while the first blocks it.
        await using executor = host.executor({ maxWorkers: 2, threads: 1 });
        const blocker = executor.submit((sab: SharedArrayBuffer) => {
          Atomics.wait(new Int32Array(sab), 0, 0, 2_000);
          return 'unblocked';
        }, event.sab);
        await until(() => blocker.running(), 5_000, 'the blocking call to start');
        const behind = executor.submit(mul, 6, 7);
        await delay(50);
        assert.equal(behind.running(), false);
        assert.equal(behind.cancel(), true);
        event.set();
        assert.equal(await blocker.result(), 'unblocked');
        assert.ok(behind.cancelled());
      },
    );

    test('result(timeout) rejects with TimeoutError and the call goes on', T, async () => {
      await using executor = host.executor({ maxWorkers: 1 });
      const future = executor.submit(sleep, 150);
      assert.ok((await rejection(future.result(0))) instanceof TimeoutError);
      assert.ok((await rejection(future.result(20))) instanceof TimeoutError);
      assert.ok((await rejection(future.exception(20))) instanceof TimeoutError);
      assert.equal(await future.result(5_000), 150);
      assert.equal(await future.exception(0), null);
    });
  });
}
