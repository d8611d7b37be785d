// A CommonJS consumer (module CommonJS: `import … from` compiles to require()), strict,
// type-checked against the packed package.
import { type AsyncResult, fromModule, ThreadPool, ThreadPoolExecutor } from 'spindle';
import type * as Tasks from './tasks';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function same<A, B>(_proof: Equal<A, B>): void {}

async function main(): Promise<void> {
  const pool = new ThreadPool(2);
  const executor = new ThreadPoolExecutor(2);
  try {
    const rows = pool.starmap((host: string, port: number) => `${host}:${port}`, [['a', 1]]);
    same<typeof rows, Promise<string[]>>(true);
    const hostPort = (host: string, port: number) => `${host}:${port}`;
    // @ts-expect-error starmap checks each tuple against the function's parameters
    void pool.starmap(hostPort, [[1, 'a']]).catch(() => {});
    const result = pool.applyAsync((a: number, b: string) => `${a}${b}`, [1, 'x']);
    same<typeof result, AsyncResult<string>>(true);
    const tasks = fromModule<typeof Tasks>(require.resolve('./tasks'));
    const norms = pool.map(tasks.norm, [{ x: 3, y: 4 }]);
    same<typeof norms, Promise<number[]>>(true);
    const future = executor.submit((x: number) => x * 100, 4);
    const value = await future.result();
    same<typeof value, number>(true);

    const values = [await rows, await result, await norms, value];
    const expected = [['a:1'], '1x', [5], 400];
    if (JSON.stringify(values) !== JSON.stringify(expected)) {
      throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(values)}`);
    }
    console.log('CommonJS consumer: ok');
  } finally {
    await pool.terminate();
    await executor.shutdown();
  }
}

void main();
