import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { fromModule, ThreadPool } from 'spindle';
import { rejection, T } from '../helpers.js';

describe('how a function reaches a thread', () => {
  const pool = new ThreadPool({ workers: 2, threads: 2 });
  after(() => pool.terminate());

  test(
    "a function reading the caller's scope fails with an error that says how to fix it",
    T,
    async () => {
      const factor = 3;
      const error = await rejection(pool.apply((x: number) => x * factor, [2]));
      assert.ok(error instanceof ReferenceError);
      assert.match((error as Error).message, /factor is not defined in the worker thread/);
      assert.match((error as Error).message, /Pass factor as an argument/);
      assert.match((error as Error).message, /fromModule/);
    },
  );

  test('the fix works: pass the value as an argument', T, async () => {
    const factor = 3;
    assert.equal(await pool.apply((x: number, f: number) => x * f, [2, factor]), 6);
  });

  test(
    'functions survive esbuild/tsx helper injection (__name) for nested named functions',
    T,
    async () => {
      // Under tsx this file is compiled with keepNames: nested functions get `__name(...)` calls.
      function outer(n: number): number {
        function helper(k: number): number {
          return k + 1;
        }
        const arrow = (k: number) => helper(k) * 2;
        class Box {
          constructor(readonly v: number) {}
          twice() {
            return this.v * 2;
          }
        }
        return new Box(arrow(n)).twice();
      }
      assert.match(outer.toString() + String(outer), /helper/);
      assert.equal(await pool.apply(outer, [1]), 8);
    },
  );

  test('all function forms: declarations, arrows, async, method shorthand', T, async () => {
    async function declared(x: number) {
      return x + 1;
    }
    const tasks = {
      shorthand(x: number) {
        return x * 10;
      },
      async asyncShorthand(x: number) {
        return x * 100;
      },
    };
    assert.equal(await pool.apply(declared, [1]), 2);
    assert.equal(await pool.apply(tasks.shorthand, [1]), 10);
    assert.equal(await pool.apply(tasks.asyncShorthand, [1]), 100);
    assert.equal(await pool.apply((x: number) => x - 1, [1]), 0);
    assert.equal(await pool.apply(async (x: number) => x - 2, [1]), -1);
    assert.equal(
      await pool.apply(function (this: unknown) {
        return this === undefined;
      }),
      true,
    );
  });

  test(
    'a closure-free function created anew each call is compiled once and still works',
    T,
    async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => pool.apply((x: number) => x * 2, [i])),
      );
      assert.deepEqual(
        results,
        Array.from({ length: 50 }, (_, i) => i * 2),
      );
    },
  );

  test('native, bound functions and classes are a TypeError when issued', T, () => {
    assert.throws(() => pool.apply(Math.max, [1, 2]), {
      name: 'TypeError',
      message: /native or bound/,
    });
    const bound = ((x: number) => x).bind(null);
    assert.throws(() => pool.apply(bound, [1]), { name: 'TypeError', message: /native or bound/ });
    class NotATask {}
    assert.throws(() => pool.apply(NotATask as unknown as () => void), {
      name: 'TypeError',
      message: /class/,
    });
  });

  test(
    'a method using super cannot run in a thread: a clear TypeError when issued, no hang',
    T,
    async () => {
      class Base {
        value() {
          return 1;
        }
      }
      class Derived extends Base {
        override value() {
          return super.value() + 1;
        }
      }
      assert.throws(() => pool.apply(Derived.prototype.value), {
        name: 'TypeError',
        message: /uses `super`/,
      });
      assert.equal(await pool.apply(() => 'pool still fine'), 'pool still fine');
    },
  );

  test(
    'more distinct functions than a thread keeps: the oldest are forgotten and sent again, never one a task still needs',
    T,
    async () => {
      const one = new ThreadPool({ workers: 2, threads: 1 });
      try {
        // 1,500 functions, each its own source (a thread keeps 1,024 definitions).
        const fns = Array.from(
          { length: 1500 },
          (_, k) => new Function('x', `return x * 2 + ${k};`) as (x: number) => number,
        );
        // The first function's task waits on the thread while all the others are sent.
        const held = one.apply(
          new Function('x', 'return new Promise((r) => setTimeout(() => r(x), 300));') as (
            x: number,
          ) => Promise<number>,
          [-1],
        );
        const results = await Promise.all(fns.map((fn, k) => one.apply(fn, [k])));
        assert.deepEqual(
          results,
          fns.map((_, k) => k * 3),
        );
        assert.equal(await held, -1);
        // The first ones were forgotten to make room: used again, they are sent again.
        const again = await Promise.all(fns.slice(0, 50).map((fn, k) => one.apply(fn, [k + 1])));
        assert.deepEqual(
          again,
          fns.slice(0, 50).map((_, k) => (k + 1) * 2 + k),
        );
      } finally {
        await one.terminate();
      }
    },
  );

  test('tasks may use globals and dynamic imports of node: modules and packages', T, async () => {
    const digest = await pool.apply(
      async (text: string) => {
        const { createHash } = await import('node:crypto');
        return createHash('sha256').update(text).digest('hex').slice(0, 8);
      },
      ['spindle'],
    );
    assert.match(digest, /^[0-9a-f]{8}$/);
    const checked = await pool.apply(async () => {
      const fc = await import('fast-check');
      return typeof fc.assert;
    });
    assert.equal(checked, 'function');
    assert.equal(await pool.apply(() => typeof structuredClone), 'function');
  });
});

describe('task modules (fromModule)', () => {
  const pool = new ThreadPool({ workers: 2, threads: 2 });
  after(() => pool.terminate());
  const tasks = fromModule<typeof import('../fixtures/tasks.mjs')>(
    new URL('../fixtures/tasks.mjs', import.meta.url),
  );

  test('runs exported functions, typed, with a URL', T, async () => {
    const squares: number[] = await pool.map(tasks.square, [1, 2, 3]);
    assert.deepEqual(squares, [1, 4, 9]);
    assert.equal(await pool.apply(tasks.slowDouble, [21, 5]), 42);
    assert.deepEqual(
      await pool.starmap(tasks.slowDouble, [
        [1, 1],
        [2, 1],
      ]),
      [2, 4],
    );
  });

  test('the module is imported once per thread and keeps its module state there', T, async () => {
    const one = new ThreadPool({ workers: 1 });
    try {
      const counts = await one.map(tasks.count, [1, 2, 3, 4], 1);
      assert.deepEqual(
        counts.map((c) => c.calls),
        [1, 2, 3, 4],
      );
      assert.equal(new Set(counts.map((c) => c.threadId)).size, 1);
    } finally {
      await one.terminate();
    }
  });

  test('errors thrown by a module function keep their class and code', T, async () => {
    const error = await rejection(pool.apply(tasks.fail, ['nope']));
    assert.ok(error instanceof RangeError);
    assert.equal((error as RangeError & { code: string }).code, 'E_TASK');
  });

  test('paths: absolute, file: URL string, and relative to the calling file', T, async () => {
    const path = new URL('../fixtures/tasks.mjs', import.meta.url).pathname;
    const byPath = fromModule<typeof import('../fixtures/tasks.mjs')>(path);
    const byHref = fromModule<typeof import('../fixtures/tasks.mjs')>(
      new URL('../fixtures/tasks.mjs', import.meta.url).href,
    );
    const relative = fromModule<typeof import('../fixtures/tasks.mjs')>('../fixtures/tasks.mjs');
    assert.equal(await pool.apply(byPath.square, [5]), 25);
    assert.equal(await pool.apply(byHref.square, [6]), 36);
    assert.equal(await pool.apply(relative.square, [7]), 49);
  });

  test('a TypeScript task module runs when the program runs under tsx', T, async () => {
    const typed = fromModule<typeof import('../fixtures/typed-tasks.js')>(
      new URL('../fixtures/typed-tasks.ts', import.meta.url),
    );
    assert.equal(await pool.apply(typed.norm, [{ x: 3, y: 4 }]), 5);
    assert.equal(await pool.apply(typed.join, [['a', 'b'], '-']), 'a-b');
  });

  test('a missing module or export fails at first use with a message naming both', T, async () => {
    const missing = fromModule<{ run(): void }>(
      new URL('../fixtures/does-not-exist.mjs', import.meta.url),
    );
    const error = await rejection(pool.apply(missing.run));
    assert.match((error as Error).message, /does-not-exist\.mjs/);
    assert.match((error as Error).message, /"run"/);
    assert.match((error as Error).message, /not found/);
    const noExport = fromModule<{ nothing(): void }>(
      new URL('../fixtures/tasks.mjs', import.meta.url),
    );
    const exportError = await rejection(pool.apply(noExport.nothing));
    assert.ok(exportError instanceof TypeError);
    assert.match((exportError as Error).message, /no exported function "nothing"/);
    const notFunction = await rejection(
      pool.apply((tasks as unknown as { notAFunction: () => void }).notAFunction),
    );
    assert.match((notFunction as Error).message, /it is a number/);
    assert.equal(await pool.apply(tasks.square, [3]), 9, 'the pool still works');
  });

  test(
    'a reference called directly explains how to use it; the reference object is not thenable',
    T,
    async () => {
      assert.throws(() => tasks.square(2), /pass it to a pool method/);
      assert.equal((tasks as unknown as { then?: unknown }).then, undefined);
      assert.throws(() => fromModule(42 as unknown as string), TypeError);
    },
  );

  test('works as initializer too, and with threads: 0', T, async () => {
    const local = new ThreadPool({ workers: 2, threads: 0, initializer: tasks.count });
    try {
      assert.deepEqual(await local.map(tasks.square, [2, 3]), [4, 9]);
    } finally {
      await local.terminate();
    }
  });
});
