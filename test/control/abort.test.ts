// signal on every issuing method, on worker threads and on the main thread (threads: 0): aborted
// before the call, while queued, while queued on a busy thread, while running (async: the task
// sees it; sync: its thread is replaced after abortGrace), and after the call settled.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromModule, ThreadPool, ThreadPoolExecutor, WorkerExitError } from 'spindle';
import { delay, rejection, T } from '../helpers.js';
import { METHODS } from './methods.js';

const STARTED = 0;
const SAW_ABORT = 1;
const RELEASE = 2;

function flags(): { sab: SharedArrayBuffer; words: Int32Array } {
  const sab = new SharedArrayBuffer(16);
  return { sab, words: new Int32Array(sab) };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(2);
  }
}

/** Started, then waits for its signal to abort; records that it saw it. */
async function waitForAbort(sab: SharedArrayBuffer): Promise<string> {
  const { signal } = await import('spindle/task');
  const words = new Int32Array(sab);
  Atomics.store(words, 0, 1);
  const own = signal();
  await new Promise((resolve) => {
    if (own.aborted) resolve(undefined);
    else own.addEventListener('abort', resolve);
  });
  Atomics.store(words, 1, 1);
  return 'saw the abort';
}

/** Occupies its slot until word 2 is set (synchronously on a worker thread, by polling on the main thread). */
function blocker(sab: SharedArrayBuffer): unknown {
  const words = new Int32Array(sab);
  Atomics.store(words, 0, 1);
  if (typeof (globalThis as { isMainThreadOfTest?: boolean }).isMainThreadOfTest === 'boolean') {
    return new Promise<void>((resolve) => {
      const poll = (): void => {
        if (Atomics.load(words, 2) === 1) resolve();
        else setTimeout(poll, 1);
      };
      poll();
    });
  }
  while (Atomics.load(words, 2) === 0) Atomics.wait(words, 2, 0, 5);
  return 'released';
}

/** Ignores its signal: a synchronous endless loop on a thread, a long wait on the main thread. */
function stubborn(sab: SharedArrayBuffer): unknown {
  const words = new Int32Array(sab);
  Atomics.store(words, 0, 1);
  if (typeof (globalThis as { isMainThreadOfTest?: boolean }).isMainThreadOfTest === 'boolean') {
    return new Promise((resolve) => setTimeout(() => resolve('finished anyway'), 150));
  }
  for (;;) {}
}

(globalThis as { isMainThreadOfTest?: boolean }).isMainThreadOfTest = true;

for (const threads of [1, 0]) {
  const where = threads === 0 ? 'threads: 0' : 'worker threads';
  describe(`signal (${where})`, () => {
    for (const [method, issue] of Object.entries(METHODS)) {
      const onExecutor = method === 'submitWith' || method === 'executorMap';
      const make = () => {
        const pool = new ThreadPool({ workers: 2, threads, abortGrace: 150 });
        const executor = new ThreadPoolExecutor({ maxWorkers: 2, threads, abortGrace: 150 });
        const errors: unknown[] = [];
        pool.on('error', (error) => errors.push(error));
        executor.on('error', (error) => errors.push(error));
        /** Another call on the same engine, to fill a slot. */
        const side = (fn: (sab: SharedArrayBuffer) => unknown, sab: SharedArrayBuffer) =>
          onExecutor ? executor.submit(fn, sab).result() : pool.apply(fn, [sab]);
        const close = async () => {
          await pool.terminate();
          await executor.shutdown({ wait: false, cancelFutures: true });
        };
        return { target: { pool, executor }, errors, side, close };
      };

      test(`${method}: an aborted signal rejects before anything is sent`, T, async () => {
        const { target, close } = make();
        const { sab, words } = flags();
        const controller = new AbortController();
        const reason = new Error('aborted before the call');
        controller.abort(reason);
        assert.equal(
          await rejection(issue(target, waitForAbort, sab, { signal: controller.signal })),
          reason,
        );
        await delay(30);
        assert.equal(Atomics.load(words, STARTED), 0, 'the task never started');
        await close();
      });

      test(`${method}: aborted while queued, it never runs`, T, async () => {
        const { target, side, close } = make();
        const busy = flags();
        const one = side(blocker, busy.sab);
        const two = side(blocker, busy.sab);
        await until(() => Atomics.load(busy.words, STARTED) === 1, 'the blockers');
        const { sab, words } = flags();
        const controller = new AbortController();
        const call = issue(target, waitForAbort, sab, { signal: controller.signal });
        await delay(20);
        controller.abort();
        const error = (await rejection(call)) as DOMException;
        assert.equal(error, controller.signal.reason);
        assert.equal(error.name, 'AbortError');
        Atomics.store(busy.words, RELEASE, 1);
        await Promise.all([one, two]);
        await delay(30);
        assert.equal(Atomics.load(words, STARTED), 0, 'the cancelled task never ran');
        await close();
      });

      test(`${method}: aborted while queued on a busy thread, it never runs`, T, async () => {
        const { target, side, close } = make();
        const busy = flags();
        // On a worker thread: a synchronous blocker holds the thread, and the task is sent to
        // its second slot, where it cannot start (or is moved back). On the main thread the
        // carrier starts what it was sent on its next turn: abort before that turn.
        const one = threads > 0 ? side(blocker, busy.sab) : undefined;
        if (one) await until(() => Atomics.load(busy.words, STARTED) === 1, 'the blocker');
        const { sab, words } = flags();
        const controller = new AbortController();
        const call = issue(target, waitForAbort, sab, { signal: controller.signal });
        if (one) await delay(5);
        else for (let i = 0; i < 5; i++) await Promise.resolve();
        controller.abort('stop');
        assert.equal(await rejection(call), 'stop');
        Atomics.store(busy.words, RELEASE, 1);
        await one;
        await delay(30);
        assert.equal(Atomics.load(words, STARTED), 0, 'the cancelled task never ran');
        await close();
      });

      test(`${method}: aborted while running asynchronously, the task sees it`, T, async () => {
        const { target, close } = make();
        const { sab, words } = flags();
        const controller = new AbortController();
        const call = issue(target, waitForAbort, sab, { signal: controller.signal });
        await until(() => Atomics.load(words, STARTED) === 1, 'the task to start');
        const reason = new RangeError('enough');
        controller.abort(reason);
        assert.equal(await rejection(call), reason);
        await until(() => Atomics.load(words, SAW_ABORT) === 1, 'the task to see its signal');
        await close();
      });

      test(`${method}: a running task that ignores its signal`, T, async () => {
        const { target, side, close, errors } = make();
        const bystander = flags();
        // An async task beside it on the same thread (two slots, one thread).
        const controllerB = new AbortController();
        const besideIt = onExecutor
          ? target.executor.submitWith({ signal: controllerB.signal }, waitForAbort, bystander.sab)
          : target.pool.applyAsync(waitForAbort, [bystander.sab], { signal: controllerB.signal });
        await until(() => Atomics.load(bystander.words, STARTED) === 1, 'the bystander');
        const { sab, words } = flags();
        const controller = new AbortController();
        const call = issue(target, stubborn, sab, { signal: controller.signal });
        await until(() => Atomics.load(words, STARTED) === 1, 'the stubborn task');
        const started = Date.now();
        controller.abort('go away');
        assert.equal(await rejection(call), 'go away', 'it rejects at once with the reason');
        assert.ok(Date.now() - started < 150, 'without waiting for the grace');
        if (threads > 0) {
          // Its thread is stopped after abortGrace: the bystander fails, saying why.
          const error = (await rejection(
            onExecutor ? (besideIt as { result(): Promise<unknown> }).result() : besideIt,
          )) as WorkerExitError;
          assert.ok(error instanceof WorkerExitError, String(error));
          assert.match(
            String((error.cause as Error).message),
            /stubborn.*aborted.*go away.*abortGrace \(150 ms\)/,
          );
        } else {
          // The main thread cannot be stopped: the task runs to its end, and nothing else fails.
          controllerB.abort();
        }
        // The pool keeps working.
        assert.equal(await side((x) => x, 7 as never), 7);
        assert.deepEqual(errors, []);
        await close();
      });

      test(`${method}: aborting after the call settled changes nothing`, T, async () => {
        const { target, close, errors } = make();
        const controller = new AbortController();
        const value = await issue(target, (x: number) => x * 3, 14, { signal: controller.signal });
        assert.equal(value, 42);
        controller.abort();
        await delay(20);
        assert.deepEqual(errors, []);
        await close();
      });
    }
  });
}

describe('a synchronous task that checks its signal', () => {
  test(
    'sees the abort in the middle of its loop, on a worker thread, and its thread stays',
    T,
    async () => {
      await using pool = new ThreadPool({ workers: 2, threads: 1, abortGrace: 2000 });
      const bystander = flags();
      const controllerB = new AbortController();
      const beside = pool.apply(waitForAbort, [bystander.sab], { signal: controllerB.signal });
      await until(() => Atomics.load(bystander.words, STARTED) === 1, 'the bystander');
      const { sab, words } = flags();
      const controller = new AbortController();
      const call = pool.apply(
        async (shared: SharedArrayBuffer) => {
          const { signal } = await import('spindle/task');
          const own = new Int32Array(shared);
          Atomics.store(own, 0, 1);
          // From here on synchronous: the thread reads no message until this returns.
          let laps = 0;
          while (!signal().aborted) laps++;
          Atomics.store(own, 1, 1);
          return `${String(signal().reason)} after ${laps > 0 ? 'some' : 'no'} laps`;
        },
        [sab],
        { signal: controller.signal },
      );
      await until(() => Atomics.load(words, STARTED) === 1, 'the loop');
      controller.abort('halt');
      assert.equal(await rejection(call), 'halt');
      await until(() => Atomics.load(words, SAW_ABORT) === 1, 'the loop to see its signal');
      // It stopped well within the grace: the task beside it was not touched.
      controllerB.abort('done');
      assert.equal(await rejection(beside), 'done');
      await until(
        () => Atomics.load(bystander.words, SAW_ABORT) === 1,
        'the bystander to see its signal',
      );
    },
  );
});

describe('after an aborted task stops', () => {
  test('a task its thread took in meanwhile starts', T, async () => {
    for (let round = 0; round < 5; round++) {
      await using pool = new ThreadPool({ workers: 2, threads: 1 });
      const { sab, words } = flags();
      const controller = new AbortController();
      const aborted = pool.apply(
        async (shared: SharedArrayBuffer) => {
          const { signal } = await import('spindle/task');
          Atomics.store(new Int32Array(shared), 0, 1);
          // Synchronous from here: what is sent meanwhile waits on the port until signal()
          // takes it in, along with the abort.
          while (!signal().aborted) {}
          return 'stopped';
        },
        [sab],
        { signal: controller.signal },
      );
      await until(() => Atomics.load(words, STARTED) === 1, 'the task to start');
      // Sent to the thread's free slot while it is busy; then the abort, at once.
      const after = pool.apply((x: number) => x, [round]);
      await Promise.resolve();
      await Promise.resolve();
      controller.abort('stop');
      assert.equal(await rejection(aborted), 'stop');
      assert.equal(await after, round);
    }
  });
});

describe("the listeners on a task's signal", () => {
  test('may call signal() when it aborts (worker threads and threads: 0)', T, async () => {
    for (const threads of [1, 0]) {
      await using pool = new ThreadPool({ workers: 2, threads });
      const { sab, words } = flags();
      const controller = new AbortController();
      const call = pool.apply(
        async (shared: SharedArrayBuffer) => {
          const { signal } = await import('spindle/task');
          const own = signal();
          const seen = new Int32Array(shared);
          Atomics.store(seen, 0, 1);
          await new Promise((_, reject) => {
            own.addEventListener('abort', () => {
              // 1: signal() is the task's own signal here; 2: another one; 3: it threw.
              try {
                Atomics.store(seen, 1, signal() === own ? 1 : 2);
              } catch {
                Atomics.store(seen, 1, 3);
              }
              reject(own.reason);
            });
          });
        },
        [sab],
        { signal: controller.signal },
      );
      await until(() => Atomics.load(words, STARTED) === 1, 'the task to start');
      controller.abort('stop');
      assert.equal(await rejection(call), 'stop');
      await until(() => Atomics.load(words, SAW_ABORT) !== 0, 'the listener to run');
      assert.equal(Atomics.load(words, SAW_ABORT), 1, `threads: ${threads}`);
    }
  });
});

describe('a task aborted while its module still loads', () => {
  test('never runs: it ends at once, and its thread is not stopped', T, async () => {
    // The module takes 3 s to load; the grace runs out at ~1.1 s: a thread whose task waits for
    // its module through the grace is stopped then.
    await using pool = new ThreadPool({ workers: 2, threads: 1, abortGrace: 1000 });
    const exits: string[] = [];
    pool.on('threadExit', ({ reason }) => exits.push(reason));
    // A first task module: the thread registers the TypeScript loader the tests run under before
    // it (a blocking step, which no message can interrupt, and slow on a busy machine).
    const { square } = fromModule<typeof import('../fixtures/tasks.mjs')>(
      new URL('../fixtures/tasks.mjs', import.meta.url),
    );
    assert.equal(await pool.apply(square, [3]), 9);
    const { same } = fromModule<typeof import('../fixtures/slow-module.mjs')>(
      new URL('../fixtures/slow-module.mjs', import.meta.url),
    );
    const controller = new AbortController();
    const slow = pool.apply(same, [1], { signal: controller.signal });
    await delay(100);
    controller.abort('not now');
    assert.equal(await rejection(slow), 'not now');
    // Past abortGrace: a task still waiting for its module would have had its thread stopped.
    await delay(1300);
    assert.deepEqual(exits, []);
    assert.equal(pool.stats().threads.replaced, 0);
    // The module loads meanwhile; the aborted task's code never runs, later calls do.
    assert.equal(await pool.apply(same, [2]), 2);
    assert.deepEqual(exits, []);
  });
});
