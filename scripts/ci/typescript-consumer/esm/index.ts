// An ES module consumer (module NodeNext), strict, type-checked against the packed package.
import { type AsyncResult, fromModule, type IMapIterator, ThreadPool } from 'spindle';
import type * as Tasks from './tasks.js';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function same<A, B>(_proof: Equal<A, B>): void {}

const pool = new ThreadPool(2);
try {
  const doubled = pool.map((x: number) => x * 2, [1, 2]);
  same<typeof doubled, Promise<number[]>>(true);
  const inferred = pool.map((x) => x.toFixed(1), [1, 2]);
  same<typeof inferred, Promise<string[]>>(true);
  const rows = pool.starmap((host: string, port: number) => `${host}:${port}`, [['a', 1]]);
  same<typeof rows, Promise<string[]>>(true);
  const hostPort = (host: string, port: number) => `${host}:${port}`;
  // @ts-expect-error starmap checks each tuple against the function's parameters
  void pool.starmap(hostPort, [[1, 'a']]).catch(() => {});
  // @ts-expect-error apply checks the arguments
  void pool.apply((a: number) => a, ['not a number']).catch(() => {});
  const result = pool.applyAsync((a: number, b: string) => `${a}${b}`, [1, 'x']);
  same<typeof result, AsyncResult<string>>(true);
  const lazy = pool.imap(async (x: number) => [x], [1]);
  same<typeof lazy, IMapIterator<number[]>>(true);

  const tasks = fromModule<typeof Tasks>(new URL('./tasks.js', import.meta.url));
  const norms = pool.map(tasks.norm, [{ x: 3, y: 4 }]);
  same<typeof norms, Promise<number[]>>(true);
  const joined = pool.apply(tasks.join, [['a', 'b'], ',']);
  same<typeof joined, Promise<string>>(true);

  const values = [
    await doubled,
    await inferred,
    await rows,
    await result,
    await norms,
    await joined,
  ];
  const expected = [[2, 4], ['1.0', '2.0'], ['a:1'], '1x', [5], 'a,b'];
  if (JSON.stringify(values) !== JSON.stringify(expected)) {
    throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(values)}`);
  }
  console.log('ES module consumer: ok');
} finally {
  await pool.terminate();
}
