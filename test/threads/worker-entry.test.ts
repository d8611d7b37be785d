// The `workerEntry` option: checked when the pool is made, and used to start the threads.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ThreadPool, ThreadPoolExecutor } from 'spindle';
import { T } from '../helpers.js';

const SHIPPED = fileURLToPath(new URL('../../dist/worker/thread.cjs', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'spindle-entry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * An entry of the program's own that marks the thread, then starts spindle's: a task that sees the
 * mark ran on a thread started from it.
 */
const wrapper = join(dir, 'marked-entry.cjs');
writeFileSync(
  wrapper,
  `globalThis.startedFrom = 'marked-entry';\nrequire(${JSON.stringify(SHIPPED)});\n`,
);

function thrown(make: () => unknown): Error {
  try {
    make();
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected a synchronous throw');
}

describe('workerEntry', () => {
  test('a value that is not a path or a file: URL is a TypeError, for both classes', T, () => {
    for (const value of [42, '', null, {}, new URL('https://example.invalid/thread.cjs')]) {
      for (const make of [
        () => new ThreadPool({ workerEntry: value as string }),
        () => new ThreadPoolExecutor({ workerEntry: value as string }),
      ]) {
        const error = thrown(make);
        assert.ok(error instanceof TypeError, String(error));
        assert.match(error.message, /Expected `workerEntry` to be a path or a `file:` URL/);
        assert.match(error.message, /spindle\/dist\/worker\/thread\.cjs/);
      }
    }
  });

  test(
    'a file that does not exist (or a folder) is a RangeError naming the path looked at',
    T,
    () => {
      const missing = join(dir, 'nowhere', 'thread.cjs');
      for (const value of [missing, pathToFileURL(missing), pathToFileURL(missing).href, dir]) {
        const error = thrown(() => new ThreadPool({ workerEntry: value }));
        assert.ok(error instanceof RangeError, String(error));
        const path = value === dir ? dir : missing;
        assert.ok(error.message.includes(`there is no file ${path}`), error.message);
      }
    },
  );

  test(
    'threads start from the file named, given as a path, a URL or a file: URL string',
    T,
    async () => {
      for (const workerEntry of [wrapper, pathToFileURL(wrapper), pathToFileURL(wrapper).href]) {
        const pool = new ThreadPool({ workers: 2, workerEntry });
        try {
          const marks = await pool.map(
            () => (globalThis as { startedFrom?: string }).startedFrom,
            [1, 2],
          );
          assert.deepEqual(marks, ['marked-entry', 'marked-entry']);
        } finally {
          await pool.terminate();
        }
      }
      const executor = new ThreadPoolExecutor({ maxWorkers: 1, workerEntry: wrapper });
      try {
        const mark = await executor.submit(
          () => (globalThis as { startedFrom?: string }).startedFrom,
        );
        assert.equal(mark, 'marked-entry');
      } finally {
        await executor.shutdown();
      }
    },
  );

  test('without it, threads start from the shipped entry', T, async () => {
    const pool = new ThreadPool(1);
    try {
      assert.equal(
        await pool.apply(() => (globalThis as { startedFrom?: string }).startedFrom),
        undefined,
      );
    } finally {
      await pool.terminate();
    }
  });
});
