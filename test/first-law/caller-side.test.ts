/**
 * The first law on the caller's side: whatever the caller passes (inputs, argument arrays,
 * transfer functions, things that are not functions), every call settles once, with a clear
 * error, and nothing escapes as an uncaught exception or an unhandled rejection.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BrokenPoolError, ThreadPool, ThreadPoolExecutor } from 'spindle';
import { rejection, T } from '../helpers.js';

const SPINDLE_URL = import.meta.resolve('spindle');

/**
 * Runs `body` (an ES module body with `ThreadPool`, `ThreadPoolExecutor` and `pool` in scope) in
 * a child process that fails loudly on an uncaught exception, an unhandled rejection or a hang.
 */
function runChild(body: string, execArgv: string[] = []): { status: number | null; out: string } {
  const script = `
    import { ThreadPool, ThreadPoolExecutor } from ${JSON.stringify(SPINDLE_URL)};
    process.on('uncaughtException', (e) => { console.log('UNCAUGHT ' + (e && e.message)); process.exit(3); });
    process.on('unhandledRejection', (e) => { console.log('UNHANDLED ' + (e && e.message)); process.exit(4); });
    const hang = setTimeout(() => { console.log('HANG'); process.exit(5); }, 15000);
    let pool = new ThreadPool(2);
    ${body}
    // The pool still serves after all of it.
    console.log('after', await pool.apply((x) => x + 1, [41]));
    await new Promise((r) => setTimeout(r, 100));
    clearTimeout(hang);
    await pool.terminate();
  `;
  const child = spawnSync(process.execPath, [...execArgv, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: child.status, out: `${child.stdout}${child.stderr}` };
}

function assertSettled(child: { status: number | null; out: string }, expected: RegExp): void {
  assert.equal(child.status, 0, child.out);
  assert.match(child.out, expected);
  assert.match(child.out, /after 42/);
}

/** The line of the caller, as its stack shows it (source-mapped under tsx). */
function lineHere(): number {
  const stack = String(new Error().stack).split('\n')[2] as string;
  return Number(/:(\d+):\d+\)?$/.exec(stack)?.[1]);
}

describe('first law, caller side: bad input rejects that call and nothing else (item 5)', () => {
  test('an async starmap input that yields a non-array rejects the call', T, () => {
    const child = runChild(`
      async function* input() { yield [1]; yield 2; }
      const error = await pool.starmap((a) => a, input()).then(() => null, (e) => e);
      console.log('rejected', error instanceof TypeError, error.message);
    `);
    assertSettled(child, /rejected true Expected each starmap item to be an array/);
  });

  test('a transfer function that throws for an async map input rejects the call', T, () => {
    const child = runChild(`
      async function* input() { yield 1; yield 2; }
      const transfer = () => { throw new Error('no transfer'); };
      const error = await pool.map((a) => a, input(), { transfer }).then(() => null, (e) => e);
      console.log('rejected', error.message);
      const result = pool.mapAsync((a) => a, input(), { transfer, chunksize: 1 });
      console.log('mapAsync', await result.get().then(() => 'resolved', (e) => e.message), result.ready());
    `);
    assertSettled(child, /rejected no transfer\nmapAsync no transfer true/);
  });

  test('a transfer function that throws in an imap ends that iteration with its error', T, () => {
    const child = runChild(`
      const transfer = (x) => { if (x === 3) throw new Error('no transfer'); return []; };
      const seen = [];
      try {
        for await (const x of pool.imap((a) => a, [1, 2, 3, 4], { transfer })) seen.push(x);
      } catch (e) { seen.push(e.message); }
      console.log('seen', seen.join(','));
    `);
    assertSettled(child, /seen 1,2,no transfer/);
  });

  test('an imap input whose return() throws, left while a read is in progress', T, () => {
    const child = runChild(`
      let reads = 0;
      const input = { [Symbol.asyncIterator]() { return {
        next: () => new Promise((r) => setTimeout(() => r({ done: false, value: reads++ }), 30)),
        return() { throw new Error('return failed'); },
      }; } };
      for await (const x of pool.imap((a) => a, input)) break;
      console.log('left the loop');
      // And when no read is in progress, the error of return() is that return() call's.
      const it = pool.imap((a) => a, [1, 2, 3][Symbol.iterator]());
      const sync = { [Symbol.iterator]() { return { next: () => ({ done: false, value: 1 }), return() { throw new Error('sync return failed'); } }; } };
      const it2 = pool.imap((a) => a, sync);
      await it2.next();
      await new Promise((r) => setTimeout(r, 50));
      console.log('return', await it2.return().then(() => 'ok', (e) => e.message));
      await it.return();
    `);
    assertSettled(child, /left the loop\nreturn sync return failed/);
  });

  test('an args array with a throwing element getter rejects that call', T, () => {
    const child = runChild(`
      const args = [1, 2];
      Object.defineProperty(args, 1, { get() { throw new Error('bad getter'); } });
      console.log('apply', await pool.apply((a) => a, args).then(() => 'resolved', (e) => e.message));
      const result = pool.applyAsync((a) => a, args);
      console.log('applyAsync', await result.then(() => 'resolved', (e) => e.message));
      const executor = new ThreadPoolExecutor(1);
      console.log('submit', await executor.submit((a) => a, 1).result());
      await executor.shutdown();
    `);
    assertSettled(child, /apply bad getter\napplyAsync bad getter\nsubmit 1/);
  });

  test('a Proxy args array rejects that call', T, () => {
    const child = runChild(`
      const args = new Proxy([1], { get(target, key) { if (key === '0') throw new Error('trap'); return Reflect.get(target, key); } });
      console.log('apply', await pool.apply((a) => a, args).then(() => 'resolved', (e) => e.message));
      const lengthTrap = new Proxy([1], { get(target, key) { if (key === 'length') throw new Error('length trap'); return Reflect.get(target, key); } });
      console.log('applyAsync', await pool.applyAsync((a) => a, lengthTrap).then(() => 'resolved', (e) => e.message));
    `);
    assertSettled(child, /apply trap\napplyAsync length trap/);
  });
});

describe('first law, caller side: imap stays bounded after close() (item 6)', () => {
  test('close() during an imap over an endless input keeps memory flat', T, () => {
    const child = runChild(
      `
      function* endless() { for (let i = 0; ; i++) yield 'x'.repeat(2000) + i; }
      const it = pool.imap((s) => s.length, endless());
      let taken = 0;
      const heap = () => process.memoryUsage().heapUsed / 2 ** 20;
      for (; taken < 200; taken++) await it.next();
      pool.close();
      // Give an unbounded reader every chance to run away.
      await new Promise((r) => setTimeout(r, 300));
      for (; taken < 1000; taken++) await it.next();
      globalThis.gc?.();
      const before = heap();
      for (; taken < 5000; taken++) await it.next();
      globalThis.gc?.();
      const grown = heap() - before;
      console.log('grown MB', grown.toFixed(1), grown < 8 ? 'flat' : 'growing');
      await it.return();
      await pool.join();
      console.log('joined');
      // The trailer expects a running pool.
      pool = new ThreadPool(2);
    `,
      ['--max-old-space-size=64', '--expose-gc'],
    );
    assertSettled(child, /grown MB -?[\d.]+ flat\njoined/);
  });
});

describe('first law, caller side: a broken pool fails every issuing method (item 11)', () => {
  const init = (): never => {
    throw new Error('init failed');
  };
  const never = (): AsyncIterable<number> => ({
    [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<number>>(() => {}) }),
  });
  async function* two(): AsyncGenerator<number> {
    yield 1;
    yield 2;
  }
  function* endless(): Generator<number> {
    for (let i = 0; ; i++) yield i;
  }

  test(
    'imap and imapUnordered on a broken pool throw BrokenPoolError at the first next()',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 2, initializer: init });
      try {
        await rejection(pool.apply((x: number) => x, [1]));
        for (const input of [() => [1, 2], two, never, endless]) {
          for (const method of ['imap', 'imapUnordered'] as const) {
            const iterator = pool[method]((x: number) => x, input());
            const error = await rejection(iterator.next());
            assert.ok(error instanceof BrokenPoolError, `${method}: ${String(error)}`);
            assert.match(String((error.cause as Error).message), /init failed/);
            assert.deepEqual(await iterator.next(), { done: true, value: undefined });
          }
        }
      } finally {
        await pool.terminate();
      }
    },
  );

  test(
    'map, starmap and their Async forms on a broken pool reject, whatever the input',
    T,
    async () => {
      const pool = new ThreadPool({ workers: 2, initializer: init });
      try {
        await rejection(pool.apply((x: number) => x, [1]));
        for (const input of [() => [1, 2], two, never]) {
          assert.ok(
            (await rejection(pool.map((x: number) => x, input()))) instanceof BrokenPoolError,
          );
          assert.ok(
            (await rejection(pool.mapAsync((x: number) => x, input()))) instanceof BrokenPoolError,
          );
          const tuples = input === never ? never() : [[1]];
          assert.ok(
            (await rejection(
              pool.starmap((x: number) => x, tuples as Iterable<[number]>),
            )) instanceof BrokenPoolError,
          );
        }
      } finally {
        await pool.terminate();
      }
    },
  );

  test(
    'executor.map on a broken executor throws BrokenPoolError at the first next()',
    T,
    async () => {
      const executor = new ThreadPoolExecutor({ maxWorkers: 2, initializer: init });
      try {
        await rejection(executor.submit((x: number) => x, 1));
        for (const input of [() => [1, 2], two, never, endless]) {
          for (const options of [{}, { chunksize: 3 }, { buffersize: 2 }]) {
            const iterator = executor.map((x: number) => x, input(), options);
            const error = await rejection(iterator.next());
            assert.ok(error instanceof BrokenPoolError, `${JSON.stringify(options)}: ${error}`);
          }
        }
      } finally {
        await executor.shutdown();
      }
    },
  );
});

describe('first law, caller side: errors say what happened and where (item 15)', () => {
  const pool = new ThreadPool({ workers: 2, threads: 2 });
  const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  after(() => Promise.all([pool.terminate(), executor.shutdown()]));
  const HINT = /factor is not defined in the worker thread: .*Pass factor as an argument/;

  test("the caller's-scope hint comes with every issuing method", T, async () => {
    const factor = 3;
    const task = (x: number): number => x * factor;
    const calls: [string, () => PromiseLike<unknown>][] = [
      ['apply', () => pool.apply(task, [1])],
      ['applyAsync', () => pool.applyAsync(task, [1])],
      ['map', () => pool.map(task, [1, 2])],
      ['map (README)', () => pool.map((x: number) => x * factor, [1, 2])],
      ['mapAsync', () => pool.mapAsync(task, [1, 2], { chunksize: 2 })],
      ['starmap', () => pool.starmap(task, [[1], [2]])],
      ['starmapAsync', () => pool.starmapAsync(task, [[1]])],
      ['imap', () => pool.imap(task, [1, 2], 2).next()],
      ['imapUnordered', () => pool.imapUnordered(task, [1]).next()],
      ['submit', () => executor.submit(task, 1)],
      ['executor.map', () => executor.map(task, [1, 2]).next()],
      ['executor.map chunksize', () => executor.map(task, [1, 2, 3], { chunksize: 2 }).next()],
    ];
    for (const [what, call] of calls) {
      const error = await rejection(call());
      assert.ok(error instanceof ReferenceError, what);
      assert.match(error.message, HINT, what);
      assert.match(String(error.stack), HINT, `${what}: the stack's first line too`);
    }
  });

  test(
    "an initializer reading the caller's scope: the BrokenPoolError's cause says so",
    T,
    async () => {
      const prefix = 'x';
      const broken = new ThreadPool({ workers: 1, initializer: () => void prefix.length });
      try {
        const error = await rejection(broken.apply(() => 1));
        assert.ok(error instanceof BrokenPoolError);
        assert.ok(error.cause instanceof ReferenceError);
        assert.match(
          error.cause.message,
          /prefix is not defined in the worker thread: the initializer ("initializer" )?runs in another thread/,
        );
        assert.match(error.message, /prefix is not defined in the worker thread/);
      } finally {
        await broken.terminate();
      }
    },
  );

  test('the stack of an inline function names the file and line it was written at', T, async () => {
    // One line: the call, the function and the line it is on.
    const [call, line] = [pool.apply((s: string) => JSON.parse(s), ['{']), lineHere()] as const;
    const error = await rejection(call);
    const frames = String((error as Error).stack).split('\n');
    const frame = frames.find((f) => f.includes('caller-side.test.ts')) ?? frames.join('\n');
    assert.equal(Number(/caller-side\.test\.ts:(\d+)/.exec(frame)?.[1]), line, frame);
  });

  test(
    'in a plain JavaScript file the stack names the exact line, wherever the function is',
    T,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'spindle-stack-'));
      try {
        const file = join(dir, 'app.mjs');
        writeFileSync(
          file,
          [
            `import { ThreadPool } from ${JSON.stringify(SPINDLE_URL)};`,
            '',
            'function work(x) {',
            '  const y = x + 1;',
            "  if (y > 1) throw new Error('work failed');",
            '  return y;',
            '}',
            '',
            'const pool = new ThreadPool(1);',
            'const error = await pool.apply(work, [5]).catch((e) => e);',
            "console.log(error.stack.split('\\n')[1]);",
            'await pool.terminate();',
          ].join('\n'),
        );
        const child = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
        assert.equal(child.status, 0, child.stderr);
        assert.match(child.stdout, /at work \(file:\/\/.*app\.mjs:5:20\)/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test(
    'a promise passed for the task: "did you call the function instead of passing it?"',
    T,
    () => {
      async function fetchPage(): Promise<number> {
        return 1;
      }
      const promise = fetchPage();
      assert.throws(() => pool.applyAsync(fetchPage() as never), {
        name: 'TypeError',
        message:
          /got a Promise \(did you call the function instead of passing it\? pass `fetchPage`, not `fetchPage\(\)`/,
      });
      assert.throws(() => executor.submit(promise as never), {
        name: 'TypeError',
        message: /got a Promise \(did you call the function instead of passing it\?/,
      });
      // A thenable that is not a Promise, made without a literal `then` key.
      const thenable = Object.fromEntries([['then', () => {}]]);
      assert.throws(() => pool.apply(thenable as never), {
        name: 'TypeError',
        message: /got a thenable .*\(did you call the function instead of passing it\?/,
      });
      assert.throws(() => pool.map(Number('3') as never, [1]), {
        message: /got `3` \(number\) \(did you call the function instead of passing it\?/,
      });
    },
  );
});

describe('first law, caller side: arguments are captured at the call (item 17)', () => {
  const pool = new ThreadPool({ workers: 2, threads: 1 });
  after(() => pool.terminate());

  test('applyAsync, apply and starmap copy the argument lists they are given', T, async () => {
    const args = [0];
    const results = [];
    for (let i = 0; i < 5; i++) {
      args[0] = i;
      results.push(pool.applyAsync((x: number) => x, args as [number]));
    }
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4]);
    const applied = pool.apply((x: number) => x, args as [number]);
    args[0] = 99;
    assert.equal(await applied, 4);
    const tuple: [number, number] = [1, 2];
    const starred = pool.starmap((a: number, b: number) => a + b, [tuple]);
    tuple[1] = 100;
    assert.deepEqual(await starred, [3]);
  });

  test('the initializer arguments are captured at construction', T, async () => {
    const initargs = ['first'];
    const initialized = new ThreadPool({
      workers: 1,
      initializer: (value: string) => {
        (globalThis as { initValue?: string }).initValue = value;
      },
      initargs,
    });
    try {
      initargs[0] = 'changed';
      assert.equal(
        await initialized.apply(() => (globalThis as { initValue?: string }).initValue),
        'first',
      );
    } finally {
      await initialized.terminate();
    }
  });

  test('a getter passed as a task is refused without running its body', T, async () => {
    let ran = 0;
    const holder = {
      get value() {
        ran++;
        return 1;
      },
      set value(_v: number) {
        ran++;
      },
    };
    const descriptor = Object.getOwnPropertyDescriptor(holder, 'value') as PropertyDescriptor;
    for (const accessor of [descriptor.get, descriptor.set]) {
      assert.throws(() => pool.apply(accessor as () => number), {
        name: 'TypeError',
        message: /getter or setter/,
      });
    }
    // A method whose computed name has a side effect is not evaluated either.
    const key = (): string => {
      ran++;
      return 'm';
    };
    const methods = {
      [key()]() {
        return 1;
      },
    };
    ran = 0;
    // In the thread, `key` is not defined: the call fails there, never on the main thread.
    const error = await rejection(pool.map(methods.m as () => number, [1]));
    assert.ok(error instanceof ReferenceError);
    assert.equal(ran, 0, 'no code of the function ran on the main thread');
  });

  test('a method named get or set is still a method', T, async () => {
    const methods = {
      get(x: number) {
        return x + 1;
      },
    };
    assert.equal(await pool.apply(methods.get, [1]), 2);
  });
});
