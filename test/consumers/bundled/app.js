// Bundled with spindle inside, as ESM and as CommonJS; `./tasks.mjs` is resolved against the
// bundle, beside which it is copied.
import { fromModule, ThreadPool } from 'spindle';

async function main() {
  const tasks = fromModule('./tasks.mjs');
  const pool = new ThreadPool(2);
  try {
    console.log('inline', (await pool.map((x) => x + 1, [1, 2, 3])).join());
    console.log('module', (await pool.map(tasks.double, [1, 2, 3])).join());
  } catch (error) {
    console.log('error', error.message);
    process.exitCode = 1;
  } finally {
    pool.close();
    await pool.join();
  }
}

main();
