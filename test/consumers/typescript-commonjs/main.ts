// A TypeScript program compiled to CommonJS (`module: commonjs`): `import` becomes `require()`,
// typed by spindle's `.d.cts` declarations; types flow from the task functions to the results.
import { fromModule, ThreadPool, TimeoutError } from 'spindle';

const tasks = fromModule<typeof import('./tasks')>(require.resolve('./tasks'));

async function main(): Promise<void> {
  const pool = new ThreadPool(2);
  try {
    const incremented: number[] = await pool.map((x: number) => x + 1, [1, 2, 3]);
    const doubled: number[] = await pool.map(tasks.double, [1, 2, 3]);
    console.log('inline', incremented.join());
    console.log('module', doubled.join());
    const late = await pool
      .applyAsync(() => new Promise<void>((resolve) => setTimeout(resolve, 500)))
      .get(10)
      .catch((error: unknown) => error);
    console.log('timeout', late instanceof TimeoutError);
  } finally {
    pool.close();
    await pool.join();
  }
}

void main();
