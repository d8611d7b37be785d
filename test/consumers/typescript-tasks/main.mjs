// A JavaScript program whose task module is TypeScript, run by plain `node`.
import { fromModule, ThreadPool } from 'spindle';

const tasks = fromModule(new URL('./tasks.ts', import.meta.url));
const pool = new ThreadPool(2);
try {
  console.log('inline/2', (await pool.map((x) => x + 1, [1, 2, 3])).join());
  console.log('ts-url/2', (await pool.map(tasks.double, [1, 2, 3])).join());
} catch (error) {
  console.log('error/2', error.message);
  process.exitCode = 1;
} finally {
  pool.close();
  await pool.join();
}
