// Run by `node --test` (one process per test file): the process exits by itself when done.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromModule, ThreadPool, ThreadPoolExecutor } from 'spindle';

const tasks = fromModule('./tasks.mjs');

test('a pool: inline functions and a task module', async () => {
  const pool = new ThreadPool(2);
  try {
    assert.deepEqual(await pool.map((x) => x + 1, [1, 2, 3]), [2, 3, 4]);
    assert.deepEqual(await pool.map(tasks.double, [1, 2, 3]), [2, 4, 6]);
  } finally {
    pool.close();
    await pool.join();
  }
});

test('an executor, left for the process to end without shutdown()', async () => {
  const executor = new ThreadPoolExecutor(2);
  assert.equal(await executor.submit(tasks.double, 21).result(), 42);
  assert.deepEqual(await executor.map((x) => x * x, [1, 2, 3]).toArray(), [1, 4, 9]);
});
