// Inline functions and a TypeScript task module, in a test run by vitest (any pool).
import { fromModule, ThreadPool } from 'spindle';
import { expect, test } from 'vitest';

for (const threads of [2, 0]) {
  test(`inline functions and a TypeScript task module, threads: ${threads}`, async () => {
    const byUrl = fromModule<typeof import('./tasks.js')>(new URL('./tasks.ts', import.meta.url));
    const byPath = fromModule<typeof import('./tasks.js')>('./tasks.ts');
    const pool = new ThreadPool({ workers: 2, threads });
    try {
      expect(await pool.map((x: number) => x + 1, [1, 2, 3])).toEqual([2, 3, 4]);
      expect(await pool.map(byUrl.double, [1, 2, 3])).toEqual([2, 4, 6]);
      expect(await pool.map(byPath.double, [1, 2, 3])).toEqual([2, 4, 6]);
    } finally {
      pool.close();
      await pool.join();
    }
  });
}
