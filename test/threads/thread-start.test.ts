// What a thread loads before its first task: only what an inline task needs. `node:v8` and the
// task-module machinery (`node:module`…) add to every thread's start, and are loaded when first
// needed (see worker/node-v8.ts, worker/function-cache.ts).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { fromModule, ThreadPool } from 'spindle';
import { T } from '../helpers.js';

/** Node's list of the built-in modules this thread has loaded ("NativeModule v8"…). */
function loadedInThread(): string[] {
  const list = (process as unknown as { moduleLoadList?: unknown }).moduleLoadList;
  if (!Array.isArray(list)) return ['(no moduleLoadList)'];
  return list.filter((name: string) => /^NativeModule (?:v8|module)$/.test(name));
}

const tasks = fromModule<typeof import('../fixtures/tasks.mjs')>(
  new URL('../fixtures/tasks.mjs', import.meta.url),
);

describe('a thread at its start', () => {
  const pool = new ThreadPool({ workers: 1, threads: 1 });
  after(() => pool.terminate());

  test(
    'has loaded neither node:v8 nor node:module when its first inline task runs',
    T,
    async (t) => {
      if (!Array.isArray((process as unknown as { moduleLoadList?: unknown }).moduleLoadList)) {
        t.skip('this runtime has no process.moduleLoadList');
        return;
      }
      assert.deepEqual(await pool.apply(loadedInThread, []), []);
    },
  );

  test('then runs what needs them: a task module, a progress value', T, async () => {
    assert.equal(await pool.apply(tasks.square, [7]), 49);
    const seen: unknown[] = [];
    const value = await pool.applyAsync(
      async () => {
        const { progress } = await import('spindle/task');
        progress({ step: 1 });
        return 'done';
      },
      [],
      { onProgress: (v) => seen.push(v) },
    );
    assert.equal(value, 'done');
    assert.deepEqual(seen, [{ step: 1 }]);
  });
});
