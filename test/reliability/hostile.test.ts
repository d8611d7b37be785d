/**
 * Hostile inputs (issue 6, part 3): every option and argument given wrong types and values, inputs
 * whose iterators misbehave in every way, callbacks and listeners that throw or re-enter the pool,
 * initializers that fail in every way, functions that cannot be sent to a thread, and transfer
 * lists that cannot be honoured. Each must end in a clear error (a synchronous throw for bad
 * arguments, a rejection for the rest), never a hang and never a crash, and the pool must go on
 * serving. validation.test.ts, faults.test.ts and functions.test.ts hold the basic cases; these
 * extend them (full matrices, and the nastier cases).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  BrokenPoolError,
  CancelledError,
  ThreadPool,
  ThreadPoolExecutor,
  TimeoutError,
  WorkerExitError,
} from 'spindle';
import { osThreads, threadsSettle } from './harness.js';

const T = { timeout: 30_000 };

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown } | { hung: true };

/** How a promise ends within `ms`: resolved, rejected, or hung. */
async function settle(promise: PromiseLike<unknown>, ms = 5000): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), ms);
  });
  try {
    return await Promise.race([
      Promise.resolve(promise).then(
        (value): Outcome => ({ ok: true, value }),
        (error): Outcome => ({ ok: false, error }),
      ),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error a promise rejects with (fails on a resolution or a hang). */
async function rejectsWith(promise: PromiseLike<unknown>, what: string, ms = 5000): Promise<Error> {
  const outcome = await settle(promise, ms);
  assert.ok(!('hung' in outcome), `${what}: hung`);
  assert.ok(
    !outcome.ok,
    `${what}: resolved with ${JSON.stringify((outcome as { value: unknown }).value)}`,
  );
  return (outcome as { error: Error }).error;
}

async function resolvesTo(
  promise: PromiseLike<unknown>,
  what: string,
  ms = 5000,
): Promise<unknown> {
  const outcome = await settle(promise, ms);
  assert.ok(!('hung' in outcome), `${what}: hung`);
  assert.ok(outcome.ok, `${what}: rejected with ${String((outcome as { error: unknown }).error)}`);
  return outcome.value;
}

/** Calls `call`, which must throw synchronously a TypeError or RangeError naming `name` (or one of `name`s). */
function throwsNaming(call: () => unknown, name: string | string[], what: string): void {
  let caught: unknown;
  try {
    const returned = call();
    // A returned promise or result must not be left to reject unobserved.
    if (returned && typeof (returned as PromiseLike<unknown>).then === 'function') {
      void Promise.resolve(returned as PromiseLike<unknown>).catch(() => {});
    }
  } catch (error) {
    caught = error;
  }
  assert.ok(caught, `${what}: did not throw`);
  assert.ok(
    caught instanceof TypeError || caught instanceof RangeError,
    `${what}: threw ${String(caught)}, not a TypeError or RangeError`,
  );
  const names = Array.isArray(name) ? name : [name];
  assert.ok(
    names.some((n) => (caught as Error).message.includes(`\`${n}\``)),
    `${what}: the message does not name \`${names.join('` or `')}\`: ${(caught as Error).message}`,
  );
}

/** Drains an async iterator (at most `max` steps), recording values and errors. */
async function drain(iterator: AsyncIterator<unknown>, max = 50): Promise<unknown[]> {
  const seen: unknown[] = [];
  for (let i = 0; i < max; i++) {
    const outcome = await settle(iterator.next());
    if ('hung' in outcome) {
      seen.push('HUNG');
      break;
    }
    if (!outcome.ok) {
      seen.push(`! ${(outcome.error as Error)?.message ?? String(outcome.error)}`);
      continue;
    }
    const step = outcome.value as IteratorResult<unknown>;
    if (step.done) {
      seen.push('done');
      break;
    }
    seen.push(step.value);
  }
  return seen;
}

function hostileValues(): [string, unknown][] {
  return [
    ['a negative number', -1],
    ['a fraction', 1.5],
    ['NaN', Number.NaN],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a numeric string', '2'],
    ['a BigInt', 2n],
    ['a symbol', Symbol('hostile')],
    ['an object', {}],
    ['an array', [2]],
    ['a function', () => 2],
    ['a boolean', true],
  ];
}

describe('wrong types and values for every option', () => {
  const before = osThreads();

  test(
    'ThreadPool: every numeric option rejects every hostile value, naming the option',
    T,
    async () => {
      const options = [
        'workers',
        'threads',
        'maxTasksPerThread',
        'initializerTimeout',
        'idleTimeout',
      ];
      for (const option of options) {
        for (const [label, value] of hostileValues()) {
          throwsNaming(() => new ThreadPool({ [option]: value }), option, `${option}: ${label}`);
        }
      }
      for (const [label, value] of hostileValues()) {
        if (typeof value !== 'number' && (typeof value !== 'object' || Array.isArray(value))) {
          throwsNaming(
            () => new ThreadPool(value as number),
            'workers',
            `new ThreadPool(${label})`,
          );
        }
      }
      throwsNaming(() => new ThreadPool({ workers: 0 }), 'workers', 'workers: 0');
      throwsNaming(() => new ThreadPool({ maxTasksPerThread: 0 }), 'maxTasksPerThread', '0');
      throwsNaming(() => new ThreadPool({ initializerTimeout: 0 }), 'initializerTimeout', '0');
      throwsNaming(
        () => new ThreadPool({ workers: Number.POSITIVE_INFINITY }),
        'workers',
        'Infinity',
      );
    },
  );

  test('ThreadPool: initializer, initargs, name, resourceLimits, unknown keys', T, () => {
    for (const value of [5, 'fn', {}, [], Symbol('x'), true]) {
      throwsNaming(
        () => new ThreadPool({ initializer: value as () => void }),
        'initializer',
        String(typeof value),
      );
    }
    for (const value of [5, 'abc', {}, Symbol('x'), () => 1, new Set([1])]) {
      throwsNaming(
        () => new ThreadPool({ initargs: value as [] }),
        'initargs',
        String(typeof value),
      );
    }
    for (const value of [5, {}, [], Symbol('x'), () => 'n']) {
      throwsNaming(() => new ThreadPool({ name: value as string }), 'name', String(typeof value));
    }
    for (const value of [5, 'x', [], () => 1]) {
      throwsNaming(
        () => new ThreadPool({ resourceLimits: value as {} }),
        'resourceLimits',
        typeof value,
      );
    }
    for (const value of [0, -5, Number.NaN, '32', 32n, {}]) {
      throwsNaming(
        () => new ThreadPool({ resourceLimits: { maxOldGenerationSizeMb: value as number } }),
        'resourceLimits.maxOldGenerationSizeMb',
        String(value),
      );
    }
    // A stack too small to start a thread crashes the whole process in Node.js: refused up front.
    throwsNaming(
      () => new ThreadPool({ resourceLimits: { stackSizeMb: 0.1 } }),
      'resourceLimits.stackSizeMb',
      'stackSizeMb: 0.1',
    );
    throwsNaming(() => new ThreadPool({ wrkers: 2 } as {}), 'wrkers', 'a misspelt option');
    throwsNaming(() => new ThreadPool('4' as unknown as number), 'workers', 'a string');
  });

  test(
    'ThreadPool: an options object that throws when read fails the constructor, starting nothing',
    T,
    async () => {
      const getter = {
        get workers(): number {
          throw new Error('getter threw');
        },
      };
      assert.throws(() => new ThreadPool(getter), { message: 'getter threw' });
      const trap = new Proxy(
        {},
        {
          ownKeys: () => {
            throw new Error('ownKeys trap');
          },
          get: () => {
            throw new Error('get trap');
          },
        },
      );
      assert.throws(() => new ThreadPool(trap));
      assert.equal(await threadsSettle(before), before, 'no thread was started');
    },
  );

  test('ThreadPoolExecutor: every option rejects every hostile value, naming it', T, async () => {
    const options = [
      'maxWorkers',
      'threads',
      'maxTasksPerThread',
      'initializerTimeout',
      'idleTimeout',
    ];
    for (const option of options) {
      for (const [label, value] of hostileValues()) {
        throwsNaming(
          () => new ThreadPoolExecutor({ [option]: value }),
          option,
          `${option}: ${label}`,
        );
      }
    }
    throwsNaming(() => new ThreadPoolExecutor({ maxWorkers: 0 }), 'maxWorkers', 'maxWorkers: 0');
    for (const value of [5, {}, Symbol('x')]) {
      throwsNaming(
        () => new ThreadPoolExecutor({ threadNamePrefix: value as string }),
        'threadNamePrefix',
        String(typeof value),
      );
      throwsNaming(
        () => new ThreadPoolExecutor({ initializer: value as () => void }),
        'initializer',
        'initializer',
      );
      throwsNaming(() => new ThreadPoolExecutor({ initargs: value as [] }), 'initargs', 'initargs');
    }
    throwsNaming(
      () => new ThreadPoolExecutor({ max_workers: 2 } as {}),
      'max_workers',
      'snake case',
    );
    assert.equal(await threadsSettle(before), before, 'no thread was started');
  });

  test(
    'timeouts too long for a Node.js timer (>= 2^31 ms) mean "no timeout", not 1 ms',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 1, threads: 0 });
      try {
        const slow = pool.applyAsync(
          () => new Promise((resolve) => setTimeout(() => resolve('late'), 200)),
        );
        assert.equal(await resolvesTo(slow.get(2 ** 31), 'get(2 ** 31)'), 'late');
        const slower = pool.applyAsync(
          () => new Promise((resolve) => setTimeout(() => resolve('later'), 100)),
        );
        assert.equal(await slower.wait(2 ** 40), true);
        const iterator = pool.imap(
          (x: number) => new Promise((resolve) => setTimeout(() => resolve(x), 100)),
          [7],
        );
        assert.deepEqual(await iterator.next(Number.MAX_SAFE_INTEGER), { done: false, value: 7 });
      } finally {
        await pool.terminate();
      }
      // An initializerTimeout that long used to break the pool at once.
      const patient = new ThreadPool({
        workers: 1,
        initializerTimeout: 2 ** 31,
        initializer: () => new Promise((resolve) => setTimeout(resolve, 50)),
      });
      try {
        assert.equal(
          await resolvesTo(
            patient.apply(() => 'served'),
            'initializerTimeout 2 ** 31',
          ),
          'served',
        );
      } finally {
        await patient.terminate();
      }
    },
  );
});

describe('wrong arguments to every method', () => {
  const pool = new ThreadPool({ workers: 2, threads: 1 });
  const executor = new ThreadPoolExecutor({ maxWorkers: 2, threads: 1 });
  after(async () => {
    await pool.terminate();
    await executor.shutdown();
  });
  const id = (x: unknown): unknown => x;
  const notFunctions: unknown[] = [undefined, null, 5, 'x => x', {}, [], Symbol('fn'), 5n];
  const notIterables: unknown[] = [undefined, null, 5, {}, Symbol('it'), true, () => [1]];

  test('a non-function task, for every method', T, () => {
    const calls: [string, (fn: unknown) => unknown][] = [
      ['apply', (fn) => pool.apply(fn as typeof id)],
      ['applyAsync', (fn) => pool.applyAsync(fn as typeof id)],
      ['map', (fn) => pool.map(fn as typeof id, [1])],
      ['mapAsync', (fn) => pool.mapAsync(fn as typeof id, [1])],
      ['starmap', (fn) => pool.starmap(fn as typeof id, [[1]])],
      ['starmapAsync', (fn) => pool.starmapAsync(fn as typeof id, [[1]])],
      ['imap', (fn) => pool.imap(fn as typeof id, [1])],
      ['imapUnordered', (fn) => pool.imapUnordered(fn as typeof id, [1])],
      ['executor.submit', (fn) => executor.submit(fn as (...args: unknown[]) => unknown)],
      ['executor.map', (fn) => executor.map(fn as typeof id, [1])],
    ];
    for (const [method, call] of calls) {
      for (const fn of notFunctions) throwsNaming(() => call(fn), 'fn', `${method}(${String(fn)})`);
    }
  });

  test('a non-iterable input, for every method that takes one', T, () => {
    const calls: [string, (input: unknown) => unknown][] = [
      ['map', (input) => pool.map(id, input as [])],
      ['mapAsync', (input) => pool.mapAsync(id, input as [])],
      ['starmap', (input) => pool.starmap(id, input as [])],
      ['starmapAsync', (input) => pool.starmapAsync(id, input as [])],
      ['imap', (input) => pool.imap(id, input as [])],
      ['imapUnordered', (input) => pool.imapUnordered(id, input as [])],
      [
        'executor.map',
        (input) => (executor.map as (...args: unknown[]) => unknown)(id, [1], input),
      ],
    ];
    for (const [method, call] of calls) {
      for (const input of notIterables) {
        // executor.map takes a trailing plain object as its options.
        if (
          method === 'executor.map' &&
          (input === undefined ||
            input === null ||
            (typeof input === 'object' && !Array.isArray(input)))
        )
          continue;
        // A non-iterable where executor.map takes either an iterable or its options.
        const names = ['iterable', 'iterables[1]', 'map options'];
        throwsNaming(() => call(input), names, `${method}(${String(input)})`);
      }
    }
  });

  test('a bad chunksize, for every method that takes one', T, () => {
    const bad: unknown[] = [
      0,
      -1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '2',
      2n,
      {},
      Symbol('c'),
    ];
    const calls: [string, (chunksize: unknown) => unknown][] = [
      ['map', (c) => pool.map(id, [1], c as number)],
      ['map options', (c) => pool.map(id, [1], { chunksize: c as number })],
      ['mapAsync', (c) => pool.mapAsync(id, [1], { chunksize: c as number })],
      ['starmap', (c) => pool.starmap(id, [[1]], c as number)],
      ['starmapAsync', (c) => pool.starmapAsync(id, [[1]], { chunksize: c as number })],
      ['imap', (c) => pool.imap(id, [1], c as number)],
      ['imapUnordered', (c) => pool.imapUnordered(id, [1], c as number)],
      ['executor.map', (c) => executor.map(id, [1], { chunksize: c as number })],
    ];
    for (const [method, call] of calls) {
      for (const chunksize of bad) {
        // A plain object in the chunksize position is an options object without chunksize.
        if (
          typeof chunksize === 'object' &&
          !method.includes('options') &&
          method !== 'mapAsync' &&
          !method.startsWith('starmapAsync') &&
          method !== 'executor.map'
        )
          continue;
        // In the position of `chunksize | options`, a non-number is reported as bad options.
        const names = ['chunksize', `${method} options`];
        throwsNaming(() => call(chunksize), names, `${method}(chunksize ${String(chunksize)})`);
      }
    }
  });

  test(
    'args that are not an array, options that are not options, callbacks that are not functions',
    T,
    () => {
      for (const args of ['ab', new Set([1]), { length: 1, 0: 1 }, 5, Symbol('a')]) {
        throwsNaming(() => pool.apply(id, args as [unknown]), 'args', `apply(args ${typeof args})`);
        throwsNaming(
          () => pool.applyAsync(id, args as [unknown]),
          'args',
          `applyAsync(args ${typeof args})`,
        );
      }
      for (const options of ['x', 5, Symbol('o'), () => ({})]) {
        assert.throws(() => pool.applyAsync(id, [1], options as {}), TypeError);
      }
      for (const callback of [5, 'cb', {}, Symbol('cb')]) {
        throwsNaming(
          () => pool.applyAsync(id, [1], { callback: callback as () => void }),
          'callback',
          'callback',
        );
        throwsNaming(
          () => pool.mapAsync(id, [1], { errorCallback: callback as () => void }),
          'errorCallback',
          'errorCallback',
        );
      }
      for (const transfer of [5, 'buf', {}, new ArrayBuffer(1)]) {
        throwsNaming(
          () => pool.apply(id, [1], { transfer: transfer as [] }),
          'transfer',
          `transfer ${typeof transfer}`,
        );
      }
      throwsNaming(
        () => pool.applyAsync(id, [1], { deadline: 5 } as {}),
        'deadline',
        'an unknown option',
      );
      throwsNaming(
        () => pool.applyAsync(id, [1], { timeout: -5 }),
        'timeout',
        'a negative timeout',
      );
      throwsNaming(() => executor.map(id, [1], { timeout: -1 }), 'timeout', 'executor.map timeout');
      throwsNaming(() => executor.map(id, [1], { buffersize: 0 }), 'buffersize', 'buffersize 0');
      throwsNaming(() => executor.shutdown({ wait: 'yes' } as {}), 'wait', 'shutdown wait');
      throwsNaming(
        () => executor.shutdown({ cancel_futures: true } as {}),
        'cancel_futures',
        'shutdown key',
      );
    },
  );

  test('bad timeouts for get, wait, next, result, exception', T, async () => {
    const result = pool.applyAsync(id, [1]);
    const iterator = pool.imap(id, [1]);
    const future = executor.submit(id, 1);
    for (const [label, timeout] of hostileValues()) {
      throwsNaming(() => result.get(timeout as number), 'timeout', `get(${label})`);
      throwsNaming(() => result.wait(timeout as number), 'timeout', `wait(${label})`);
      throwsNaming(() => iterator.next(timeout as number), 'timeout', `next(${label})`);
      throwsNaming(() => future.result(timeout as number), 'timeout', `result(${label})`);
      throwsNaming(() => future.exception(timeout as number), 'timeout', `exception(${label})`);
    }
    assert.equal(await result.get(), 1);
    assert.deepEqual(await iterator.next(), { done: false, value: 1 });
    assert.equal(await future.result(), 1);
  });

  test('after all of that, nothing is pending and both still serve', T, async () => {
    assert.deepEqual(
      await resolvesTo(
        pool.map((x: number) => x * 2, [1, 2, 3]),
        'map',
      ),
      [2, 4, 6],
    );
    assert.equal(await resolvesTo(executor.submit((x: number) => x + 1, 1).result(), 'submit'), 2);
  });
});

describe('inputs whose iterators misbehave', () => {
  const pool = new ThreadPool({ workers: 2, threads: 1 });
  after(() => pool.terminate());
  const id = (x: unknown): unknown => x;
  const iterable = (next: () => unknown, extra: object = {}): Iterable<unknown> => ({
    [Symbol.iterator]: () => ({ next, ...extra }) as Iterator<unknown>,
  });

  test(
    'next() returning non-objects: a TypeError from map, mapAsync, starmap and imap',
    T,
    async () => {
      for (const bad of [null, 42, undefined, 'step']) {
        const input = (): Iterable<unknown> => iterable(() => bad);
        const error = await rejectsWith(pool.map(id, input()), `map, next() -> ${String(bad)}`);
        assert.ok(error instanceof TypeError, String(error));
        assert.ok((await rejectsWith(pool.mapAsync(id, input()), 'mapAsync')) instanceof TypeError);
        assert.ok(
          (await rejectsWith(
            pool.starmap(id as () => unknown, input() as Iterable<[]>),
            'starmap',
          )) instanceof TypeError,
        );
        const seen = await drain(pool.imap(id, input()));
        assert.equal(seen.length, 2, JSON.stringify(seen));
        assert.match(String(seen[0]), /^! Iterator result .* is not an object$/);
        assert.equal(seen[1], 'done');
      }
    },
  );

  test(
    'broken iterator protocols: next is not a function, @@iterator returns junk or throws',
    T,
    async () => {
      const noNext = iterable(5 as unknown as () => unknown);
      assert.ok((await rejectsWith(pool.map(id, noNext), 'map, next: 5')) instanceof TypeError);
      assert.deepEqual((await drain(pool.imap(id, noNext))).slice(-1), ['done']);
      const junk = { [Symbol.iterator]: () => 5 } as unknown as Iterable<unknown>;
      assert.ok(
        (await rejectsWith(pool.map(id, junk), 'map, @@iterator -> 5')) instanceof TypeError,
      );
      assert.deepEqual((await drain(pool.imap(id, junk))).slice(-1), ['done']);
      const failure = new Error('no iterator for you');
      const throwing = {
        [Symbol.iterator]() {
          throw failure;
        },
      } as Iterable<unknown>;
      assert.equal(
        await rejectsWith(pool.map(id, throwing), 'map'),
        failure,
        'the same error, unwrapped',
      );
      assert.deepEqual(await drain(pool.imapUnordered(id, throwing)), [
        '! no iterator for you',
        'done',
      ]);
    },
  );

  test(
    'iterator results whose done or value getter throws: an input error, not a crash',
    T,
    async () => {
      for (const which of ['done', 'value'] as const) {
        const make = (): Iterable<unknown> => {
          let i = 0;
          return iterable(() => {
            if (i < 3) return { done: false, value: i++ };
            return Object.defineProperty({ done: false, value: 0 }, which, {
              get() {
                throw new Error(`${which} getter threw`);
              },
            });
          });
        };
        assert.equal(
          (await rejectsWith(pool.map(id, make()), `map, ${which}`)).message,
          `${which} getter threw`,
        );
        for (const chunksize of [1, 2]) {
          assert.deepEqual(await drain(pool.imap(id, make(), chunksize)), [
            0,
            1,
            2,
            `! ${which} getter threw`,
            'done',
          ]);
        }
        const asyncInput = {
          [Symbol.asyncIterator]: () => {
            const inner = make()[Symbol.iterator]();
            return { next: async () => inner.next() };
          },
        } as AsyncIterable<unknown>;
        assert.deepEqual(await drain(pool.imap(id, asyncInput)), [
          0,
          1,
          2,
          `! ${which} getter threw`,
          'done',
        ]);
      }
      assert.equal(await pool.apply(() => 'alive'), 'alive');
    },
  );

  test(
    'async inputs that reject: at once, midway, with a non-Error, or that misbehave',
    T,
    async () => {
      const rejecting = (after: number, reason: unknown): AsyncIterable<number> => ({
        [Symbol.asyncIterator]: () => {
          let i = 0;
          return {
            next: async () => {
              if (i === after) throw reason;
              return { done: false, value: i++ };
            },
          };
        },
      });
      for (const after of [0, 3]) {
        const reason = new RangeError(`rejected after ${after}`);
        assert.equal(await rejectsWith(pool.map(id, rejecting(after, reason)), 'map'), reason);
        assert.equal(
          await rejectsWith(
            pool.starmapAsync(id, rejecting(after, reason) as AsyncIterable<never>),
            'starmapAsync',
          ),
          reason,
        );
        const seen = await drain(pool.imapUnordered(id, rejecting(after, reason)));
        assert.equal(seen.length, after + 2);
        assert.deepEqual(seen.slice(-2), [`! rejected after ${after}`, 'done']);
      }
      assert.equal(
        await rejectsWith(pool.map(id, rejecting(1, undefined)), 'map, rejects with undefined'),
        undefined,
      );
      const notAPromise = {
        [Symbol.asyncIterator]: () => ({ next: () => 7 }),
      } as unknown as AsyncIterable<unknown>;
      assert.ok(
        (await rejectsWith(pool.mapAsync(id, notAPromise), 'next() -> 7')) instanceof TypeError,
      );
      assert.deepEqual((await drain(pool.imap(id, notAPromise))).slice(-1), ['done']);
    },
  );

  test(
    'an endless async input: imapUnordered reads only what it needs, and return() closes it',
    T,
    async () => {
      let closed = false;
      let read = 0;
      async function* endless(): AsyncGenerator<number> {
        try {
          for (;;) {
            read++;
            yield read;
          }
        } finally {
          closed = true;
        }
      }
      const iterator = pool.imapUnordered((x: number) => x * 2, endless());
      let taken = 0;
      for await (const _ of iterator) if (++taken === 50) break;
      assert.equal(closed, true, "the input's return() ran");
      assert.ok(read < 50 + 600, `read ${read} items for 50 results`);
    },
  );

  test(
    'an async input that never yields: next(timeout) times out, return() does not wait for it',
    T,
    async () => {
      const stuck = {
        [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }),
      } as AsyncIterable<unknown>;
      const iterator = pool.imap(id, stuck);
      const error = await rejectsWith(iterator.next(20), 'next(20)');
      assert.ok(error instanceof TimeoutError);
      assert.deepEqual(await resolvesTo(iterator.return(), 'return()'), {
        done: true,
        value: undefined,
      });
      assert.deepEqual(await resolvesTo(iterator.next(), 'next() after return()'), {
        done: true,
        value: undefined,
      });
    },
  );

  test(
    'an input whose return() throws when left early: the error surfaces, nothing hangs',
    T,
    async () => {
      const input = iterable(() => ({ done: false, value: 1 }), {
        return() {
          throw new Error('return() threw');
        },
      });
      const iterator = pool.imap(id, input);
      await iterator.next();
      const outcome = await settle(iterator.return());
      assert.ok(!('hung' in outcome), 'return() hung');
      if (!outcome.ok) assert.equal((outcome.error as Error).message, 'return() threw');
      assert.equal(await pool.apply(() => 'alive'), 'alive');
    },
  );

  test('terminate() settles an imap and a mapAsync whose async input never yields', T, async () => {
    const local = new ThreadPool({ workers: 1, threads: 1 });
    const stuck = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }),
    } as AsyncIterable<unknown>;
    const mapped = local.mapAsync(id, stuck);
    const next = local.imap(id, stuck).next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await local.terminate();
    const error = await rejectsWith(mapped.get(), 'mapAsync after terminate()', 1000);
    assert.ok(error instanceof CancelledError);
    const step = await settle(next, 1000);
    assert.ok(!('hung' in step), 'imap next() after terminate() hung');
  });
});

describe('callbacks and listeners that throw or re-enter the pool', () => {
  test(
    'a callback that terminates the pool: its result stands, the others are cancelled',
    T,
    async () => {
      // A slot for each task: `first` must not wait behind the sleepers (tasks start in order).
      const pool = new ThreadPool({ workers: 4 });
      const others = [1, 2, 3].map((x) =>
        pool.applyAsync(
          async (v: number) => {
            await new Promise((resolve) => setTimeout(resolve, 5000));
            return v;
          },
          [x],
        ),
      );
      let terminating: Promise<void> | undefined;
      const first = pool.applyAsync(() => 'first', [], {
        callback: () => {
          terminating = pool.terminate();
        },
      });
      assert.equal(await resolvesTo(first.get(), 'first'), 'first');
      await resolvesTo(terminating as Promise<void>, 'terminate() from a callback');
      for (const other of others)
        assert.ok((await rejectsWith(other.get(), 'other')) instanceof CancelledError);
      await resolvesTo(pool.join(), 'join()');
    },
  );

  test(
    'callbacks that issue more work, and an error callback that closes the pool',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 2 });
      let inner: PromiseLike<unknown> | undefined;
      await pool.applyAsync(() => 1, [], {
        callback: () => {
          inner = pool.applyAsync((x: number) => x + 1, [41]);
        },
      });
      assert.equal(await resolvesTo(inner as PromiseLike<unknown>, 'issued from a callback'), 42);
      const failing = pool.mapAsync(
        (x: number) => {
          if (x === 2) throw new Error('two');
          return x;
        },
        [1, 2, 3],
        { errorCallback: () => pool.close() },
      );
      assert.equal((await rejectsWith(failing.get(), 'mapAsync')).message, 'two');
      await resolvesTo(pool.join(), 'join() after a callback closed the pool');
      assert.equal(pool.state, 'CLOSE');
    },
  );

  test("an 'error' listener that throws: a warning, nothing else", T, () => {
    // In a child process, to see the warning where a user would: on stderr.
    const script = `
      import { ThreadPool } from 'spindle';
      const pool = new ThreadPool(1);
      pool.on('error', () => { throw new Error('the listener threw'); });
      const result = pool.applyAsync(() => 1, [], { callback: () => { throw new Error('the callback threw'); } });
      console.log('result', await result.get());
      console.log('still', await pool.apply(() => 'alive'));
      await pool.terminate();
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /result 1\nstill alive/);
    assert.match(child.stderr, /SpindleCallbackError/);
    assert.match(child.stderr, /the listener threw/);
  });

  test(
    'a thousand callbacks throwing anything at all: each reported once, results intact',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 4, threads: 1 });
      const reported: unknown[] = [];
      pool.on('error', (error) => reported.push(error));
      const thrown: unknown[] = [
        undefined,
        null,
        'a string',
        42,
        new Error('an error'),
        { an: 'object' },
      ];
      const results = Array.from({ length: 1000 }, (_, i) =>
        i % 2 === 0
          ? pool.applyAsync((x: number) => x, [i], {
              callback: () => {
                throw thrown[i % thrown.length];
              },
            })
          : pool.mapAsync((x: number) => x, [i], {
              callback: () => {
                throw thrown[i % thrown.length];
              },
            }),
      );
      const values = await Promise.all(results.map((r) => r.get()));
      assert.deepEqual(
        values,
        Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? i : [i])),
      );
      assert.equal(reported.length, 1000);
      await pool.terminate();
    },
  );
});

describe('initializers that fail in every way break the pool, never hang it', () => {
  /** Issues two tasks and one more after the first failure: all must be BrokenPoolError. */
  async function broken(options: ConstructorParameters<typeof ThreadPool>[0]): Promise<Error> {
    const pool = new ThreadPool(options);
    try {
      const pending = [pool.applyAsync(() => 1), pool.applyAsync(() => 2)];
      const first = await rejectsWith(pending[0]!.get(), 'the first task', 10_000);
      assert.ok(first instanceof BrokenPoolError, `expected BrokenPoolError, got ${String(first)}`);
      assert.ok(
        (await rejectsWith(pending[1]!.get(), 'the second task')) instanceof BrokenPoolError,
      );
      assert.ok(
        (await rejectsWith(
          pool.map((x: number) => x, [1]),
          'a later map',
        )) instanceof BrokenPoolError,
      );
      return first;
    } finally {
      await resolvesTo(pool.terminate(), 'terminate() of a broken pool');
      await resolvesTo(pool.join(), 'join() of a broken pool');
    }
  }

  test('rejects after a delay, or throws a non-Error', T, async () => {
    const late = await broken({
      workers: 1,
      initializer: async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        throw new RangeError('late');
      },
    });
    assert.ok(late.cause instanceof RangeError);
    assert.equal(
      (
        await broken({
          workers: 1,
          initializer: () => {
            throw 'a string';
          },
        })
      ).cause,
      'a string',
    );
    await broken({
      workers: 1,
      initializer: () => {
        throw undefined;
      },
    });
    const local = await broken({
      workers: 1,
      threads: 0,
      initializer: () => {
        throw new Error('local');
      },
    });
    assert.equal((local.cause as Error).message, 'local');
  });

  test('initargs that cannot be cloned', T, async () => {
    const error = await broken({
      workers: 1,
      initializer: (_f: unknown) => {},
      initargs: [() => 1],
    });
    assert.equal((error.cause as Error).name, 'DataCloneError');
  });

  test('exits with code 0, or runs out of memory, while starting', {
    timeout: 60_000,
  }, async () => {
    const exited = await broken({ workers: 1, initializer: () => process.exit(0) });
    assert.ok(exited.cause instanceof WorkerExitError);
    assert.equal((exited.cause as WorkerExitError).exitCode, 0);
    const oom = await broken({
      workers: 1,
      resourceLimits: { maxOldGenerationSizeMb: 16 },
      initializer: () => {
        const hoard: number[][] = [];
        for (;;) hoard.push(new Array(100_000).fill(1));
      },
    });
    assert.ok(oom.cause instanceof WorkerExitError);
  });

  test(
    'an endless synchronous loop: broken after initializerTimeout, and the thread is stopped',
    T,
    async () => {
      const before = osThreads();
      const started = Date.now();
      const error = await broken({
        workers: 1,
        initializerTimeout: 300,
        initializer: () => {
          for (;;) {}
        },
      });
      assert.match(String((error.cause as Error).message), /initializerTimeout/);
      assert.ok(Date.now() - started < 5000);
      assert.equal(await threadsSettle(before), before, 'the stuck thread was stopped');
    },
  );

  test(
    'succeeds in the first thread, fails in the second: the whole pool is broken',
    T,
    async () => {
      const count = new SharedArrayBuffer(4);
      const pool = new ThreadPool({
        workers: 2,
        threads: 2,
        initargs: [count],
        initializer: (sab: SharedArrayBuffer) => {
          if (Atomics.add(new Int32Array(sab), 0, 1) === 1) throw new Error('second thread');
        },
      });
      const results = Array.from({ length: 6 }, (_, i) =>
        pool.applyAsync(
          async (x: number) => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            return x;
          },
          [i],
        ),
      );
      for (const result of results) {
        const outcome = await settle(result.get());
        assert.ok(!('hung' in outcome), 'a task hung');
        if (!outcome.ok) assert.ok(outcome.error instanceof BrokenPoolError, String(outcome.error));
      }
      assert.ok(
        (await rejectsWith(
          pool.apply(() => 1),
          'later',
        )) instanceof BrokenPoolError,
      );
      await resolvesTo(pool.terminate(), 'terminate()');
    },
  );

  test('a failing initializer breaks an executor the same way', T, async () => {
    const executor = new ThreadPoolExecutor({
      maxWorkers: 1,
      initializerTimeout: 300,
      initializer: () => new Promise(() => {}),
    });
    const error = await rejectsWith(executor.submit(() => 1).result(), 'submit');
    assert.ok(error instanceof BrokenPoolError);
    await resolvesTo(executor.shutdown(), 'shutdown()');
  });
});

describe('functions that cannot be sent to a thread, and odd ones that can', () => {
  const pool = new ThreadPool({ workers: 2, threads: 1 });
  after(() => pool.terminate());
  const holder = {
    get getter(): number {
      return 1;
    },
    *generator(): Generator<number> {
      yield 1;
    },
    ['computed' + 'Name'](x: number): number {
      return x + 1;
    },
    'quoted-name'(x: number): number {
      return x + 2;
    },
  };

  test('getters, proxies, natives and module-only syntax: a TypeError when issued', T, () => {
    const getter = Object.getOwnPropertyDescriptor(holder, 'getter')?.get as () => number;
    assert.throws(() => pool.apply(getter), TypeError);
    const proxied = new Proxy((x: number) => x, {});
    assert.throws(() => pool.apply(proxied, [1]), /native or bound/);
    // Engine builtins: Node implements some of its own globals in JavaScript (structuredClone
    // from Node 22), and their source, which does cross, fails in the thread instead.
    for (const native of [console.log, JSON.parse, [].values, Promise.resolve]) {
      assert.throws(() => pool.apply(native as () => unknown), /native or bound/);
    }
    assert.throws(() => pool.apply(() => typeof import.meta), /import\.meta/);
    assert.throws(() => pool.map(Math.sqrt, [4]), /native or bound/);
  });

  test('generators return an uncloneable object: DataCloneError, not a hang', T, async () => {
    const error = await rejectsWith(pool.apply(holder.generator), 'a generator function');
    assert.equal(error.name, 'DataCloneError');
  });

  test(
    'computed and quoted method names, new Function, and a doctored toString all run',
    T,
    async () => {
      const computed = (holder as unknown as Record<string, (x: number) => number>)
        .computedName as (x: number) => number;
      assert.equal(await pool.apply(computed, [1]), 2);
      assert.equal(await pool.apply(holder['quoted-name'], [1]), 3);
      assert.equal(
        await pool.apply(new Function('a', 'return a * 3') as (a: number) => number, [5]),
        15,
      );
      const doctored = (x: number): number => x + 1;
      doctored.toString = () => 'process.exit(1)';
      assert.equal(await pool.apply(doctored, [5]), 6, "the function's own toString is not used");
    },
  );

  test('thenables that misbehave settle like promises', T, async () => {
    const throwing = await rejectsWith(
      pool.apply(() => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable on purpose.
        then() {
          throw new Error('then() threw');
        },
      })),
      'a thenable whose then() throws',
    );
    assert.equal(throwing.message, 'then() threw');
    const both = pool.apply(() => ({
      // biome-ignore lint/suspicious/noThenProperty: a hostile thenable on purpose.
      then(resolve: (v: number) => void, reject: (e: Error) => void) {
        resolve(1);
        reject(new Error('too late'));
        resolve(2);
      },
    }));
    assert.equal(await resolvesTo(both, 'a thenable calling back three times'), 1);
  });

  test('deep recursion fails the task with RangeError; the thread lives on', T, async () => {
    const error = await rejectsWith(
      pool.apply(() => {
        const down = (n: number): number => down(n + 1) + 1;
        return down(0);
      }),
      'recursion',
    );
    assert.ok(error instanceof RangeError);
    assert.equal(await pool.apply(() => 'alive'), 'alive');
  });
});

describe('transfer lists that cannot be honoured', () => {
  const pool = new ThreadPool({ workers: 2, threads: 1 });
  after(() => pool.terminate());
  const size = (b: ArrayBuffer | SharedArrayBuffer | number): number =>
    typeof b === 'number' ? b : b.byteLength;

  test(
    'a detached buffer, a duplicate, a SharedArrayBuffer, a non-transferable: DataCloneError',
    T,
    async () => {
      const detached = new ArrayBuffer(8);
      structuredClone(detached, { transfer: [detached] });
      const twice = new ArrayBuffer(8);
      const shared = new SharedArrayBuffer(8);
      const cases: [string, Promise<unknown>][] = [
        ['detached', pool.apply(size, [detached], { transfer: [detached] })],
        ['listed twice', pool.apply(size, [twice], { transfer: [twice, twice] })],
        ['shared', pool.apply(size, [shared], { transfer: [shared as unknown as ArrayBuffer] })],
        ['a number', pool.apply(size, [1], { transfer: [1 as unknown as ArrayBuffer] })],
        ['an object', pool.apply(size, [1], { transfer: [{} as ArrayBuffer] })],
      ];
      for (const [what, promise] of cases) {
        const error = await rejectsWith(promise, what);
        assert.equal(error.name, 'DataCloneError', `${what}: ${String(error)}`);
      }
      assert.equal(await pool.apply(() => 'alive'), 'alive');
    },
  );

  test(
    'a task whose buffer moved to a thread that died before starting it fails; the rest run',
    T,
    async () => {
      // The buffer went with the dead thread: the task cannot be sent again. Node.js drops such a
      // message silently, which used to leave the task (and every later one) waiting for ever.
      const small = new ThreadPool({ workers: 1, threads: 1 });
      try {
        const killer = small.applyAsync(async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          process.exit(3);
        });
        const bytes = new Uint8Array(16);
        const moved = small.applyAsync((b: Uint8Array) => b.byteLength, [bytes], {
          transfer: [bytes.buffer],
        });
        const after = small.applyAsync((x: string) => x, ['after']);
        assert.ok((await rejectsWith(killer.get(), 'killer')) instanceof WorkerExitError);
        const outcome = await settle(moved.get());
        assert.ok(!('hung' in outcome), 'the moved task hung');
        assert.equal(await resolvesTo(after.get(), 'the task after it'), 'after');
      } finally {
        await small.terminate();
      }
    },
  );

  test(
    'a task that cannot be sent, alone in its dispatch, does not stall the queue behind it',
    T,
    async () => {
      // Near the end of a thread's maxTasksPerThread each dispatch sends one task; when that one
      // could not be cloned, no result came back to dispatch the rest.
      const small = new ThreadPool({ workers: 1, threads: 1, maxTasksPerThread: 2 });
      try {
        const results = [
          small.applyAsync((x: string) => x, ['first']),
          small.applyAsync((x: unknown) => typeof x, [() => 'uncloneable']),
          small.applyAsync((x: string) => x, ['third']),
        ];
        assert.equal(await resolvesTo(results[0]!.get(), 'first'), 'first');
        assert.equal((await rejectsWith(results[1]!.get(), 'uncloneable')).name, 'DataCloneError');
        assert.equal(await resolvesTo(results[2]!.get(), 'the task behind it'), 'third');
      } finally {
        await small.terminate();
      }
    },
  );

  test('a map transfer function that throws or returns junk fails the call', T, async () => {
    const threw = await rejectsWith(
      pool.map((x: number) => x, [1, 2], {
        transfer: () => {
          throw new Error('transfer() threw');
        },
      }),
      'transfer() throws',
    );
    assert.equal(threw.message, 'transfer() threw');
    await rejectsWith(
      pool.map((x: number) => x, [1, 2], { transfer: (() => 5) as unknown as () => [] }),
      'junk',
    );
    assert.equal(await pool.apply(() => 'alive'), 'alive');
  });
});

describe('the executor with hostile inputs', () => {
  /** Yields `first` items, then never yields again. */
  const stuckAfter = (first: number): AsyncIterable<number> => ({
    [Symbol.asyncIterator]: () => {
      let n = 0;
      return {
        next: () =>
          n < first
            ? Promise.resolve({ done: false, value: n++ })
            : new Promise<IteratorResult<number>>(() => {}),
      };
    },
  });

  for (const buffersize of [undefined, 2]) {
    test(
      `a broken executor settles an executor.map (buffersize ${buffersize}) whose input never yields`,
      T,
      async () => {
        const executor = new ThreadPoolExecutor({
          maxWorkers: 1,
          initializer: () => {
            throw new Error('no start');
          },
        });
        const options = buffersize === undefined ? {} : { buffersize };
        const iterator = executor.map((x: number) => x, stuckAfter(1), options);
        const outcomes: unknown[] = [];
        for (let i = 0; i < 3; i++) {
          const step = await resolvesTo(
            iterator.next().then(
              (result) => result,
              (error: unknown) => error,
            ),
            'next()',
            5000,
          );
          outcomes.push(step);
          if ((step as IteratorResult<unknown>).done === true) break;
        }
        // The call read before the break fails with it, and so does the input never read.
        assert.ok(outcomes[0] instanceof BrokenPoolError, `got ${inspect(outcomes[0])}`);
        assert.ok(outcomes[1] instanceof BrokenPoolError, `got ${inspect(outcomes[1])}`);
        assert.deepEqual(outcomes[2], { done: true, value: undefined });
        await resolvesTo(executor.shutdown(), 'shutdown()', 5000);
      },
    );

    test(
      `shutdown({ cancelFutures }) settles while an executor.map (buffersize ${buffersize}) reads an input that never yields`,
      T,
      async () => {
        const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
        const options = buffersize === undefined ? {} : { buffersize };
        const iterator = executor.map((x: number) => x * 10, stuckAfter(2), options);
        const first = await iterator.next();
        assert.deepEqual(first, { done: false, value: 0 });
        const later = iterator.next().then(
          (step) => ({ step }),
          (error: unknown) => ({ error }),
        );
        await new Promise((resolve) => setTimeout(resolve, 20));
        await resolvesTo(
          executor.shutdown({ wait: true, cancelFutures: true }),
          'shutdown()',
          2000,
        );
        // The call submitted before the shutdown was running or done: its result still comes,
        // then the unread rest of the input fails with CancelledError.
        const second = await later;
        assert.deepEqual(second, { step: { done: false, value: 10 } });
        const rest = await iterator.next().then(
          (step) => ({ step }),
          (error: unknown) => ({ error }),
        );
        assert.ok('error' in rest && rest.error instanceof CancelledError, `got ${inspect(rest)}`);
        assert.deepEqual(await iterator.next(), { done: true, value: undefined });
      },
    );
  }
});
