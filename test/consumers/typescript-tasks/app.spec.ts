// Run by `tsx --test` (and so by Node's test runner, one process per file).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromModule, ThreadPool } from 'spindle';

test('a TypeScript task module under the test runner', async () => {
  const tasks = fromModule<typeof import('./tasks.js')>(new URL('./tasks.ts', import.meta.url));
  const pool = new ThreadPool(2);
  try {
    assert.deepEqual(await pool.map((x: number) => x + 1, [1, 2]), [2, 3]);
    assert.deepEqual(await pool.map(tasks.double, [1, 2]), [2, 4]);
  } finally {
    pool.close();
    await pool.join();
  }
});
