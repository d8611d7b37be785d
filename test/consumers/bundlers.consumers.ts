// webpack, Rollup and Vite, each bundling a small program with spindle inside: the build reports
// no warning, and the program runs inline functions and a task module, where spindle is installed
// and shipped alone (with the worker entry named by the `workerEntry` option where the bundler
// does not copy it). `npm run test:consumers`.
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type Bundle, type Format, rollupBundle, viteBundle, webpackBundle } from './bundlers.js';
import { expectWorked, project, run, shippedWorkerEntry, T, tempDir } from './harness.js';

const WORKED = ['inline 2,3,4', 'module 2,4,6'];

/** The bundle's folder copied where no spindle is installed, with the worker entry if asked. */
function shipAlone(bundle: Bundle, { withEntry }: { withEntry: boolean }): string {
  const away = tempDir('away');
  cpSync(bundle.outDir, away, { recursive: true });
  if (withEntry) cpSync(shippedWorkerEntry(), join(away, 'thread.cjs'));
  return join(away, bundle.app.slice(bundle.outDir.length + 1));
}

/** Runs a shipped-alone program from its own folder. */
function runAlone(app: string) {
  return run(join(app, '..'), [app]);
}

describe('webpack 5', () => {
  for (const format of ['esm', 'cjs'] as const) {
    test(
      `${format} output: no warning; works installed and shipped alone (webpack copies the worker entry)`,
      T,
      async () => {
        const dir = project('bundled');
        const bundle = await webpackBundle(dir, format);
        assert.deepEqual(bundle.warnings, []);
        expectWorked(run(dir, [bundle.app]), WORKED);
        expectWorked(runAlone(shipAlone(bundle, { withEntry: false })), WORKED);
      },
    );
  }

  test('a CommonJS program (require)', T, async () => {
    const dir = project('bundled');
    const bundle = await webpackBundle(dir, 'cjs', 'app.cjs');
    assert.deepEqual(bundle.warnings, []);
    expectWorked(run(dir, [bundle.app]), WORKED);
  });
});

describe('Rollup, with @rollup/plugin-node-resolve and @rollup/plugin-commonjs', () => {
  for (const format of ['esm', 'cjs'] as Format[]) {
    test(`${format} output: no warning; works where spindle is installed`, T, async () => {
      const dir = project('bundled');
      const bundle = await rollupBundle(dir, format);
      assert.deepEqual(bundle.warnings, []);
      expectWorked(run(dir, [bundle.app]), WORKED);
    });
  }

  test(
    'shipped alone: the error names the fix; with the worker entry and the option, it works',
    T,
    async () => {
      const dir = project('bundled');
      const plain = await rollupBundle(dir, 'esm');
      const failed = runAlone(shipAlone(plain, { withEntry: false }));
      assert.equal(failed.status, 1, failed.out);
      assert.match(failed.out, /cannot find its worker entry.*tried: .*thread\.cjs.*workerEntry/);
      const shipped = await rollupBundle(dir, 'esm', 'app-shipped.js');
      assert.deepEqual(shipped.warnings, []);
      expectWorked(runAlone(shipAlone(shipped, { withEntry: true })), WORKED);
    },
  );
});

describe('Vite, building for Node (vite build --ssr)', () => {
  test('spindle left out of the bundle (the default): no warning, works', T, async () => {
    const dir = project('bundled');
    const bundle = await viteBundle(dir, { bundled: false });
    assert.deepEqual(bundle.warnings, []);
    expectWorked(run(dir, [bundle.app]), WORKED);
  });

  test(
    'spindle in the bundle (ssr.noExternal): no warning; works installed, and shipped alone with the option',
    T,
    async () => {
      const dir = project('bundled');
      const bundle = await viteBundle(dir, { bundled: true });
      assert.deepEqual(bundle.warnings, []);
      expectWorked(run(dir, [bundle.app]), WORKED);
      const shipped = await viteBundle(dir, { bundled: true, entry: 'app-shipped.js' });
      assert.deepEqual(shipped.warnings, []);
      expectWorked(runAlone(shipAlone(shipped, { withEntry: true })), WORKED);
    },
  );
});
