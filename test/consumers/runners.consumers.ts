// Test runners running a user's tests that use spindle: vitest (its default pool, forks, and
// threads), Jest 30 in CommonJS mode, `node --test`. Each run must pass and the runner exit by
// itself. `npm run test:consumers`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectWorked, project, run, T, toolBin } from './harness.js';

/** Node can strip types itself here (22.18+, or 22.6+ with a flag not given here). */
const stripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);

describe('vitest', () => {
  for (const pool of ['forks', 'threads']) {
    test(`pool ${pool}: inline functions and a TypeScript task module (tsx installed)`, T, () => {
      const dir = project('vitest', ['vitest', 'tsx']);
      const result = run(dir, [toolBin('vitest'), 'run', `--pool=${pool}`]);
      expectWorked(result, ['Tests  2 passed']);
    });
  }

  test('without tsx: the error says that no TypeScript loader was found, and the fix', T, () => {
    const dir = project('vitest', ['vitest']);
    const result = run(dir, [toolBin('vitest'), 'run']);
    if (stripsTypes) {
      // Node loads `tasks.ts` itself (named by its `.ts` file): nothing to fix.
      expectWorked(result, ['Tests  2 passed']);
    } else {
      assert.equal(result.status, 1, result.out);
      assert.match(
        result.out,
        /tasks\.ts for export "double": it is TypeScript, and no TypeScript loader was found/,
      );
      assert.match(result.out, /npm install -D tsx/);
    }
  });
});

test('Jest 30, CommonJS mode: require(), task modules in JavaScript and TypeScript', T, () => {
  const dir = project('jest-commonjs', ['jest', 'tsx']);
  const result = run(dir, [toolBin('jest'), '--ci']);
  expectWorked(result, ['Tests:       3 passed, 3 total']);
});

test('node --test, an ES module test file', T, () => {
  const dir = project('node-test');
  // TAP, whatever the Node version's default reporter.
  const result = run(dir, ['--test', '--test-reporter=tap']);
  expectWorked(result, ['# pass 2', '# fail 0']);
});

test('tsx --test, a TypeScript test file with a TypeScript task module', T, () => {
  const dir = project('typescript-tasks', ['tsx']);
  const result = run(dir, [toolBin('tsx'), '--test', '--test-reporter=tap', 'app.spec.ts']);
  expectWorked(result, ['# pass 1', '# fail 0']);
});
