// The cheapest and most important consumer checks, run by `npm test`: spindle installed from its
// tarball into a TypeScript program, a CommonJS program, and esbuild bundles (ES module and
// CommonJS), also shipped without node_modules. The rest (webpack, Rollup, Vite, vitest, Jest,
// each TypeScript loader) is in the *.consumers.ts files beside this one: `npm run test:consumers`.
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { esbuildBundle } from './bundlers.js';
import { expectWorked, project, run, shippedWorkerEntry, T, tempDir } from './harness.js';

const ALL = ['inline/2 2,3,4', 'ts-url/2 2,4,6', 'js-name/2 2,4,6'];
const WORKED = ['inline 2,3,4', 'module 2,4,6'];

describe('spindle installed from its tarball', () => {
  test(
    'a strict TypeScript program with TypeScript task modules, under node --import tsx',
    T,
    () => {
      const dir = project('typescript-tasks', ['tsx']);
      const result = run(dir, ['--import', 'tsx', 'main.ts']);
      expectWorked(result, [...ALL, 'inline/0 2,3,4', 'ts-url/0 2,4,6', 'js-name/0 2,4,6']);
    },
  );

  test(
    'a CommonJS program: require() gets the ES module, or the CommonJS build without require(esm)',
    T,
    () => {
      const dir = project('bundled');
      expectWorked(run(dir, ['app.cjs']), WORKED);
      expectWorked(run(dir, ['--no-experimental-require-module', 'app.cjs']), WORKED);
    },
  );

  test('plain node without any TypeScript loader: the error says how to fix it', T, () => {
    const result = run(project('typescript-tasks'), ['main.mjs']);
    assert.equal(result.status, 1, result.out);
    assert.match(result.out, /inline\/2 2,3,4/);
    if ((process.features as { typescript?: unknown }).typescript) {
      // Node strips the types of tasks.ts itself, and cannot follow its `./scale.js` import.
      assert.match(
        result.out,
        /imports .*scale\.js, which stands for the TypeScript file .*scale\.ts/,
      );
    } else {
      assert.match(
        result.out,
        /tasks\.ts for export "double": it is TypeScript, and no TypeScript loader was found/,
      );
    }
    assert.match(result.out, /node --import tsx/);
  });
});

describe('bundled by esbuild, with spindle inside the bundle', () => {
  for (const format of ['esm', 'cjs'] as const) {
    test(`${format}: inline functions and task modules, and no warning`, T, async () => {
      const dir = project('bundled');
      const bundle = await esbuildBundle(dir, format);
      assert.deepEqual(bundle.warnings, []);
      expectWorked(run(dir, [bundle.app]), WORKED);
    });
  }

  test('a CommonJS program bundled as CommonJS', T, async () => {
    const dir = project('bundled');
    const bundle = await esbuildBundle(dir, 'cjs', 'app.cjs');
    assert.deepEqual(bundle.warnings, []);
    expectWorked(run(dir, [bundle.app]), WORKED);
  });

  test(
    'shipped without node_modules: the error names the paths tried and every fix',
    T,
    async () => {
      const bundle = await esbuildBundle(project('bundled'), 'esm');
      const away = tempDir('away');
      cpSync(bundle.outDir, away, { recursive: true });
      const failed = run(away, [join(away, 'app.mjs')]);
      assert.equal(failed.status, 1, failed.out);
      assert.match(failed.out, /cannot find its worker entry.*\(tried: .*thread\.cjs/);
      assert.match(failed.out, /workerEntry/);
      assert.match(failed.out, /SPINDLE_WORKER_ENTRY/);
      assert.match(failed.out, /--external:spindle/);
      assert.doesNotMatch(failed.out, /inline 2,3,4/, 'not even inline functions can run');
    },
  );

  test(
    'shipped without node_modules, with the worker entry beside it: SPINDLE_WORKER_ENTRY',
    T,
    async () => {
      const bundle = await esbuildBundle(project('bundled'), 'cjs');
      const away = tempDir('away');
      cpSync(bundle.outDir, away, { recursive: true });
      cpSync(shippedWorkerEntry(), join(away, 'worker.cjs'));
      const named = run(away, [join(away, 'app.cjs')], { SPINDLE_WORKER_ENTRY: 'worker.cjs' });
      expectWorked(named, WORKED);
      const wrong = run(away, [join(away, 'app.cjs')], { SPINDLE_WORKER_ENTRY: 'nowhere.cjs' });
      assert.equal(wrong.status, 1, wrong.out);
      assert.match(
        wrong.out,
        /SPINDLE_WORKER_ENTRY names "nowhere\.cjs", and there is no such file/,
      );
      assert.match(wrong.out, /workerEntry/);
    },
  );

  test(
    'shipped without node_modules, with the worker entry beside it: the workerEntry option',
    T,
    async () => {
      const bundle = await esbuildBundle(project('bundled'), 'esm', 'app-shipped.js');
      assert.deepEqual(bundle.warnings, []);
      const away = tempDir('away');
      cpSync(bundle.outDir, away, { recursive: true });
      cpSync(shippedWorkerEntry(), join(away, 'thread.cjs'));
      expectWorked(run(away, [join(away, 'app.mjs')]), WORKED);
    },
  );
});
