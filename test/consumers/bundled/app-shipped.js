// Bundled with spindle inside and shipped without node_modules: the build copies spindle's
// worker entry (`spindle/dist/worker/thread.cjs`) beside the bundle, and the pool names it.
import { fromModule, ThreadPool } from 'spindle';

async function main() {
  const tasks = fromModule('./tasks.mjs');
  const pool = new ThreadPool({
    workers: 2,
    workerEntry: new URL('./thread.cjs', import.meta.url),
  });
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
