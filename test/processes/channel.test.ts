// What crosses a child process's IPC channel: values too deep for the other side's stack fail
// their own task with a DataCloneError (they had ended the pool's process, or the child with
// every task beside it), and a long-lived child keeps nothing of what it sent.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ProcessPool } from 'spindle';
import { nested, rejection, T, unreadableDepth } from '../helpers.js';

describe('ProcessPool: what crosses the channel', () => {
  const pool = new ProcessPool({ workers: 2, processes: 1 });
  after(() => pool.terminate());

  test("a result too deep for the pool's stack fails its task alone", T, async () => {
    const depth = unreadableDepth();
    const beside = pool.apply(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return 'beside';
    });
    const deep = (n: number) => {
      let value: object = {};
      for (let i = 0; i < n; i++) value = { value };
      return value;
    };
    const error = await rejection(pool.apply(deep, [depth]));
    assert.equal((error as Error).name, 'DataCloneError');
    assert.match((error as Error).message, /result could be sent but not read/);
    // An error whose own data is too deep: it still fails its task, as itself without that data
    // (the child leaves out what it cannot serialize) or as an error that says why.
    const thrown = await rejection(
      pool.apply(
        (n: number) => {
          let value: object = {};
          for (let i = 0; i < n; i++) value = { value };
          throw Object.assign(new Error('deep'), { value });
        },
        [depth],
      ),
    );
    const { name, message } = thrown as Error;
    assert.ok(
      (name === 'Error' && message === 'deep') ||
        (name === 'DataCloneError' && /error could be sent but not read/.test(message)),
      `${name}: ${message}`,
    );
    // So does a map's chunk, and the map rejects.
    const mapped = await rejection(pool.map(deep, [1, depth, 2]));
    assert.equal((mapped as Error).name, 'DataCloneError');
    assert.equal(await beside, 'beside');
    assert.deepEqual(await pool.map(deep, [0, 1]), [{}, { value: {} }]);
    assert.equal(pool.stats().threads.replaced, 0, 'no process ended');
  });

  test("arguments too deep for the child's stack fail their task alone", T, async () => {
    const value = nested(unreadableDepth());
    const beside = pool.apply(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return 'beside';
    });
    const error = await rejection(pool.apply((arg: object) => typeof arg, [value]));
    assert.equal((error as Error).name, 'DataCloneError');
    assert.match((error as Error).message, /arguments could be sent but not read by the child/);
    assert.equal(await beside, 'beside');
    assert.equal(await pool.apply((x: number) => x + 1, [1]), 2);
    assert.equal(pool.stats().threads.replaced, 0, 'no process ended');
  });

  test('a child keeps nothing of the results it sent', { timeout: 120_000 }, async () => {
    // Each result message was kept in the child for good (for a resend that a process's channel
    // never asks for): ~1.2 KB a message here, 18 MB over the 15,000 below.
    const heap = () =>
      pool.apply(async () => {
        const v8 = await import('node:v8');
        const vm = await import('node:vm');
        v8.setFlagsFromString('--expose-gc');
        (vm.runInNewContext('gc') as () => void)();
        return process.memoryUsage().heapUsed;
      });
    const run = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await pool.apply((x: number) => ({ x, pad: 'p'.repeat(1000) }), [i]);
      }
    };
    await run(3_000);
    const before = await heap();
    await run(15_000);
    const grown = (await heap()) - before;
    assert.ok(grown < 6_000_000, `the child's heap grew by ${grown} bytes over 15,000 results`);
  });
});
