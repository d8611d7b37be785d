// Inline functions and TypeScript task modules (named by their `.ts` URL and by a `.js`
// specifier that stands for the `.ts` file), on threads and on the main thread (`threads: 0`).
import { fromModule, ThreadPool } from 'spindle';

const byUrl = fromModule<typeof import('./tasks.js')>(new URL('./tasks.ts', import.meta.url));
const byJsName = fromModule<typeof import('./tasks.js')>('./tasks.js');

for (const threads of [2, 0]) {
  const pool = new ThreadPool({ threads });
  try {
    console.log(`inline/${threads}`, (await pool.map((x: number) => x + 1, [1, 2, 3])).join());
    console.log(`ts-url/${threads}`, (await pool.map(byUrl.double, [1, 2, 3])).join());
    console.log(`js-name/${threads}`, (await pool.map(byJsName.double, [1, 2, 3])).join());
  } catch (error) {
    console.log(`error/${threads}`, (error as Error).message);
    process.exitCode = 1;
  } finally {
    pool.close();
    await pool.join();
  }
}
