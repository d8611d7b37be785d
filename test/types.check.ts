// Compile-time checks of the public types (run by `npm run typecheck`, not by the test runner).
import {
  type AsyncResult,
  fromModule,
  type IMapIterator,
  type PoolStats,
  ProcessPool,
  ProcessPoolExecutor,
  type ThreadExitReason,
  ThreadPool,
  ThreadPoolExecutor,
} from 'spindle';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T>(_value: T): void {}
function same<A, B>(_proof: Equal<A, B>): void {}

const pool = new ThreadPool(4);

const doubled = pool.map((x: number) => x * 2, [1, 2]);
same<typeof doubled, Promise<number[]>>(true);

const inferred = pool.map((x) => x.toFixed(1), [1, 2]);
same<typeof inferred, Promise<string[]>>(true);

const awaited = pool.apply(async (s: string) => s.length, ['abc']);
same<typeof awaited, Promise<number>>(true);

const result = pool.applyAsync((a: number, b: string) => `${a}${b}`, [1, 'x'], {
  callback: (value) => expectType<string>(value),
});
same<typeof result, AsyncResult<string>>(true);

const rows = pool.starmap((host: string, port: number) => `${host}:${port}`, [['a', 1]]);
same<typeof rows, Promise<string[]>>(true);

// @ts-expect-error starmap checks each tuple against the function's parameters
pool.starmap((host: string, port: number) => `${host}:${port}`, [[1, 'a']]);

// @ts-expect-error apply checks the arguments
pool.apply((a: number) => a, ['not a number']);

const lazy = pool.imapUnordered(async (x: number) => [x], [1]);
same<typeof lazy, IMapIterator<number[]>>(true);

const mapped = pool.mapAsync((x: number) => x > 1, [1, 2], {
  callback: (values) => expectType<boolean[]>(values),
});
same<typeof mapped, AsyncResult<boolean[]>>(true);

const tasks = fromModule<typeof import('./fixtures/typed-tasks.js')>(
  new URL('./fixtures/typed-tasks.ts', import.meta.url),
);
const norms = pool.map(tasks.norm, [{ x: 1, y: 2 }]);
same<typeof norms, Promise<number[]>>(true);
const joined = pool.apply(tasks.join, [['a'], ',']);
same<typeof joined, Promise<string>>(true);

// The pool's and the executor's events and stats are typed.
pool.on('threadExit', (event) => same<typeof event.reason, ThreadExitReason>(true));
pool.on('threadStart', ({ name }) => expectType<string>(name));
pool.on('drain', () => {});
// @ts-expect-error 'idle' listeners take no argument
pool.on('idle', (_nothing: number) => {});
const executor = new ThreadPoolExecutor(2);
executor.on('threadExit', ({ exitCode }) => expectType<number>(exitCode));
same<ReturnType<typeof pool.stats>, PoolStats>(true);
same<ReturnType<typeof executor.stats>, PoolStats>(true);
expectType<number | undefined>(pool.stats().runTime?.p99);
expectType<number | null>(executor.stats().utilization);

// Process pools: the same types flow (they are ThreadPool and ThreadPoolExecutor on processes).
const processes = new ProcessPool({ workers: 4, processes: 2, maxTasksPerProcess: 10 });
const processDoubled = processes.map((x: number) => x * 2, [1, 2]);
same<typeof processDoubled, Promise<number[]>>(true);
const processRows = processes.starmap(
  (host: string, port: number) => `${host}:${port}`,
  [['a', 1]],
);
same<typeof processRows, Promise<string[]>>(true);
expectType<number>(processes.processes);
// @ts-expect-error a ProcessPool takes `processes`, not `threads`
new ProcessPool({ threads: 2 });
// @ts-expect-error nor thread-only resource limits
new ProcessPool({ resourceLimits: { stackSizeMb: 4 } });
const processExecutor = new ProcessPoolExecutor({ maxWorkers: 2, processNamePrefix: 'p' });
const processFuture = processExecutor.submit(async (a: number, b: string) => `${a}${b}`, 1, 'x');
same<Awaited<ReturnType<typeof processFuture.result>>, string>(true);
