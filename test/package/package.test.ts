import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { T } from '../helpers.js';

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });
}

describe('the package', () => {
  test('import works from an ES module (plain node, built package)', T, () => {
    const child = run([
      '--input-type=module',
      '-e',
      `import { ThreadPool, fromModule, TimeoutError, InvalidStateError, CancelledError, BrokenPoolError, WorkerExitError, AsyncResult, IMapIterator } from 'spindle';
       for (const E of [TimeoutError, InvalidStateError, CancelledError, BrokenPoolError, WorkerExitError]) {
         const e = new E('x', 0, 't'); if (!(e instanceof Error) || e.name !== E.name) throw new Error(E.name);
       }
       const pool = new ThreadPool(2);
       console.log(await pool.map((x) => x * 2, [1, 2, 3]), typeof fromModule, typeof AsyncResult, typeof IMapIterator);
       await pool.terminate();`,
    ]);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /\[ 2, 4, 6 \] function function function/);
  });

  test('require() works from CommonJS', T, () => {
    const child = run([
      '-e',
      `const { ThreadPool } = require('spindle');
       const pool = new ThreadPool(2);
       pool.apply((a, b) => a + b, [20, 22]).then(async (v) => { console.log('answer', v); await pool.terminate(); });`,
    ]);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /answer 42/);
    assert.doesNotMatch(child.stderr, /Warning/);
  });

  test('threads start under V8 flags and -e/--input-type given to the main process', T, () => {
    for (const flags of [
      ['--max-old-space-size=512'],
      ['--max-old-space-size=512', '--input-type=module'],
      ['--input-type=module'],
    ]) {
      const child = run([
        ...flags,
        ...(flags.includes('--input-type=module') ? [] : ['--input-type=module']),
        '-e',
        `import { ThreadPool } from 'spindle';
         const pool = new ThreadPool(2);
         console.log('sum', (await pool.map((x) => x + 1, [1, 2, 3])).reduce((a, b) => a + b));
         await pool.terminate();`,
      ]);
      assert.equal(child.status, 0, `${flags.join(' ')}: ${child.stderr}`);
      assert.match(child.stdout, /sum 9/);
    }
  });
});
