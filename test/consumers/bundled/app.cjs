// A CommonJS program, bundled with spindle inside (`require('spindle')`).
const { join } = require('node:path');
const { fromModule, ThreadPool } = require('spindle');

async function main() {
  const tasks = fromModule(join(__dirname, 'tasks.mjs'));
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
