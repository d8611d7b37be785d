// SPEC §4a: every user callback may call any public method at any moment, including while the
// engine handles a thread's death or a failed send. A matrix: each public call, from each kind of
// callback, at each engine event. Whatever happens, every task issued settles, terminate() and
// join() resolve, and a pool that was neither terminated nor closed goes on working.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Future, ThreadPool, ThreadPoolExecutor } from 'spindle';

const T = { timeout: 30_000 };
const BOUND_MS = 10_000;

/** How the trigger task makes its event happen. */
interface EngineEvent {
  name: string;
  options?: ConstructorParameters<typeof ThreadPool>[0] & object;
  fn: (...args: never[]) => unknown;
  args: unknown[];
  /** Whether the trigger's callback is its result callback (else its error callback). */
  succeeds: boolean;
  /** An input for a map call instead of a single task. */
  mapInput?: () => Iterable<unknown> | AsyncIterable<unknown>;
  /**
   * Many quick bystanders, after a warm-up that shows the threads' pace: the threads then hold
   * tasks they have not started when the event comes.
   */
  backlog?: boolean;
}

const EVENTS: EngineEvent[] = [
  { name: 'result', fn: (x: number) => x, args: [1], succeeds: true },
  {
    name: 'task error',
    fn: () => {
      throw new Error('boom');
    },
    args: [],
    succeeds: false,
  },
  {
    name: 'thread exit',
    fn: async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      process.exit(3);
    },
    args: [],
    succeeds: false,
  },
  {
    name: 'thread exit with a backlog',
    fn: () => process.exit(4),
    args: [],
    succeeds: false,
    backlog: true,
  },
  {
    name: 'out of memory',
    options: { resourceLimits: { maxOldGenerationSizeMb: 16 } },
    fn: () => {
      const hog: unknown[] = [];
      for (;;) hog.push(new Array(100_000).fill(hog.length));
    },
    args: [],
    succeeds: false,
  },
  {
    name: 'clone failure',
    fn: (x: unknown) => x,
    args: [() => 'not cloneable'],
    succeeds: false,
  },
  {
    name: 'initializer failure',
    options: {
      initializer: () => {
        throw new Error('init failed');
      },
    },
    fn: (x: number) => x,
    args: [1],
    succeeds: false,
  },
  {
    name: 'input error',
    fn: (x: number) => x,
    args: [],
    succeeds: false,
    mapInput: () =>
      (function* () {
        yield 1;
        throw new Error('input failed');
      })(),
  },
];

/** Resolves to 'settled' or 'hung'. */
function settles(promise: PromiseLike<unknown>): Promise<'settled' | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve(promise).then(
      () => 'settled' as const,
      () => 'settled' as const,
    ),
    new Promise<'hung'>((resolve) => {
      timer = setTimeout(() => resolve('hung'), BOUND_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

const sleeper = async (ms: number) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
};

type PoolCall = 'terminate' | 'close' | 'issue';
type CallbackKind = 'callback' | "'error' listener";

describe('ThreadPool: a callback calls the pool at each engine event', () => {
  for (const event of EVENTS) {
    for (const kind of ['callback', "'error' listener"] as CallbackKind[]) {
      for (const call of ['terminate', 'close', 'issue'] as PoolCall[]) {
        test(`${call}() from a ${kind} at: ${event.name}`, T, async () => {
          const pool = new ThreadPool({ workers: 4, ...event.options });
          const issued: PromiseLike<unknown>[] = [];
          let stopping: Promise<void> | undefined;
          let called = false;
          const act = (): void => {
            if (called) return;
            called = true;
            if (call === 'terminate') stopping = pool.terminate();
            else if (call === 'close') pool.close();
            else issued.push(pool.applyAsync(sleeper, [5]));
          };
          if (kind === "'error' listener") pool.on('error', act);
          // The callback itself throws when the listener is the one that acts.
          const callback = (): void => {
            if (kind === 'callback') act();
            else throw new Error('callback failed');
          };
          const callbacks = event.succeeds ? { callback } : { errorCallback: callback };
          if (event.backlog) await pool.map((x: number) => x, new Array(4000).fill(1), 1);
          // Bystanders before and after the trigger: some running, some queued.
          for (let i = 0; i < 3; i++) issued.push(pool.applyAsync(sleeper, [30]));
          if (event.mapInput) {
            issued.push(
              pool.mapAsync(event.fn as (x: unknown) => unknown, event.mapInput(), callbacks),
            );
          } else {
            issued.push(
              pool.applyAsync(event.fn as (...args: unknown[]) => unknown, event.args, callbacks),
            );
          }
          for (let i = 0; i < 6; i++) issued.push(pool.applyAsync(sleeper, [10]));
          if (event.backlog) {
            for (let i = 0; i < 2000; i++) issued.push(pool.applyAsync((x: number) => x, [i]));
          }
          // Every task settles, including those issued from the callback.
          for (let i = 0; i < issued.length; i++) {
            assert.equal(await settles(issued[i] as PromiseLike<unknown>), 'settled', `task ${i}`);
          }
          assert.ok(called, 'the callback ran');
          if (stopping) assert.equal(await settles(stopping), 'settled', 'terminate()');
          if (call === 'issue' && event.name !== 'initializer failure') {
            // Neither terminated nor closed: the pool still works.
            assert.equal(await pool.apply((x: number) => x + 1, [1]), 2);
          }
          if (call === 'close' || call === 'terminate') {
            assert.equal(await settles(pool.join()), 'settled', 'join()');
          }
          await pool.terminate();
          assert.equal(await settles(pool.join()), 'settled', 'join() after terminate()');
        });
      }
    }
  }
});

type ExecutorCall = 'shutdown' | 'cancel' | 'submit';

describe('ThreadPoolExecutor: a done-callback calls the executor at each engine event', () => {
  for (const event of EVENTS.filter((e) => !e.mapInput)) {
    for (const call of ['shutdown', 'cancel', 'submit'] as ExecutorCall[]) {
      test(`${call} from a done-callback at: ${event.name}`, T, async () => {
        const { resourceLimits, initializer } = event.options ?? {};
        const executor = new ThreadPoolExecutor({
          maxWorkers: 4,
          ...(resourceLimits ? { resourceLimits } : {}),
          ...(initializer ? { initializer } : {}),
        });
        const futures: Future<unknown>[] = [];
        let stopping: Promise<void> | undefined;
        let called = false;
        if (event.backlog) {
          for await (const _ of executor.map((x: number) => x, new Array(4000).fill(1))) {
          }
        }
        for (let i = 0; i < 3; i++) futures.push(executor.submit(sleeper, 30));
        const trigger = executor.submit(
          event.fn as (...args: unknown[]) => unknown,
          ...(event.args as unknown[]),
        );
        futures.push(trigger);
        for (let i = 0; i < 6; i++) futures.push(executor.submit(sleeper, 10));
        if (event.backlog) {
          for (let i = 0; i < 2000; i++) futures.push(executor.submit((x: number) => x, i));
        }
        trigger.addDoneCallback(() => {
          called = true;
          if (call === 'shutdown') stopping = executor.shutdown({ cancelFutures: true });
          else if (call === 'cancel') for (const future of futures) future.cancel();
          else futures.push(executor.submit(sleeper, 5));
        });
        for (let i = 0; i < futures.length; i++) {
          const future = futures[i] as Future<unknown>;
          assert.equal(await settles(future.exception()), 'settled', `future ${i}`);
          assert.ok(future.done(), `future ${i} is done`);
        }
        assert.ok(called, 'the done-callback ran');
        if (stopping) assert.equal(await settles(stopping), 'settled', 'shutdown()');
        if (call !== 'shutdown' && event.name !== 'initializer failure') {
          assert.equal(await executor.submit((x: number) => x + 1, 1).result(), 2);
        }
        assert.equal(await settles(executor.shutdown()), 'settled', 'shutdown() at the end');
      });
    }
  }
});
