// Run by Node's own type stripping (no loader): task modules are named by their `.ts` file.
import { fromModule, ThreadPool } from 'spindle';

const tasks = fromModule<typeof import('./native-tasks.ts')>(
  new URL('./native-tasks.ts', import.meta.url),
);

for (const threads of [2, 0]) {
  const pool = new ThreadPool({ threads });
  try {
    console.log(`inline/${threads}`, (await pool.map((x: number) => x + 1, [1, 2, 3])).join());
    console.log(`ts-url/${threads}`, (await pool.map(tasks.double, [1, 2, 3])).join());
  } catch (error) {
    console.log(`error/${threads}`, (error as Error).message);
    process.exitCode = 1;
  } finally {
    pool.close();
    await pool.join();
  }
}
