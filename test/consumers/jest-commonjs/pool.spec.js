// Jest in CommonJS mode (no --experimental-vm-modules): `require('spindle')` gets its CommonJS
// build, and threads run inline functions and task modules named with require.resolve().
const { join } = require('node:path');
const { BrokenPoolError, fromModule, ThreadPool, TimeoutError } = require('spindle');

const tasks = fromModule(require.resolve('./tasks.js'));
const typed = fromModule(join(__dirname, 'typed-tasks.ts'));

test('inline functions, a task module and a TypeScript task module', async () => {
  const pool = new ThreadPool(2);
  try {
    expect(await pool.map((x) => x + 1, [1, 2, 3])).toEqual([2, 3, 4]);
    expect(await pool.map(tasks.double, [1, 2, 3])).toEqual([2, 4, 6]);
    expect(await pool.map(typed.triple, [1, 2, 3])).toEqual([3, 6, 9]);
  } finally {
    pool.close();
    await pool.join();
  }
});

test("errors are instances of the test's own classes", async () => {
  const pool = new ThreadPool(1);
  try {
    await expect(
      pool.apply(() => {
        throw new RangeError('out of range');
      }),
    ).rejects.toThrow(RangeError);
    const slow = pool.applyAsync(() => new Promise((resolve) => setTimeout(resolve, 500)));
    await expect(slow.get(10)).rejects.toBeInstanceOf(TimeoutError);
    expect(new BrokenPoolError('x')).toBeInstanceOf(Error);
  } finally {
    await pool.terminate();
  }
});

test('threads: 0 runs inline functions; importing a task module there needs vm modules', async () => {
  const pool = new ThreadPool({ threads: 0 });
  try {
    expect(await pool.map((x) => x + 1, [1, 2, 3])).toEqual([2, 3, 4]);
    await expect(pool.map(tasks.double, [1])).rejects.toThrow(/--experimental-vm-modules/);
  } finally {
    pool.close();
    await pool.join();
  }
});
