import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { T } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });
}

/** A tool from node_modules/.bin, run in the package's root; throws with its output if it fails. */
function tool(name: string, args: string[]): string {
  const result = spawnSync(join(ROOT, 'node_modules', '.bin', name), args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  assert.equal(result.status, 0, `${name} ${args.join(' ')}:\n${result.stdout}${result.stderr}`);
  return result.stdout + result.stderr;
}

/**
 * The tarball of the package as built (`--ignore-scripts`: packing would run `prepack`, which
 * rebuilds dist/ under the other test files).
 */
const packed = (() => {
  let made: { tarball: string; files: string[]; unpackedSize: number } | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'spindle-pack-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return () => {
    if (made) return made;
    const [info] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as { filename: string; unpackedSize: number; files: { path: string }[] }[];
    made = {
      tarball: join(dir, info!.filename),
      files: info!.files.map((file) => file.path),
      unpackedSize: info!.unpackedSize,
    };
    return made;
  };
})();

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

  test('require() gets the CommonJS build where an ES module cannot be required', T, () => {
    // Without require(esm) (as under Jest), the `require` condition loads dist/lib/spindle.cjs.
    const child = run([
      '--no-experimental-require-module',
      '-e',
      `const spindle = require('spindle');
       if (!require.resolve('spindle').endsWith('spindle.cjs')) throw new Error(require.resolve('spindle'));
       const { ThreadPool, fromModule, TimeoutError } = spindle;
       const tasks = fromModule(require('node:path').resolve('test/fixtures/tasks.mjs'));
       const pool = new ThreadPool(2);
       (async () => {
         const sum = await pool.apply((a, b) => a + b, [20, 22]);
         const squares = await pool.map(tasks.square, [1, 2, 3]);
         const late = await pool.applyAsync(tasks.slowDouble, [1, 500]).get(10).catch((e) => e);
         console.log('answer', sum, squares.join(), late instanceof TimeoutError);
         await pool.terminate();
       })();`,
    ]);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /answer 42 1,4,9 true/);
    assert.equal(child.stderr, '');
  });

  test('import and require() in one process share one copy (one class per error)', T, () => {
    const child = run([
      '-e',
      `const required = require('spindle');
       import('spindle').then((imported) => {
         for (const name of ['ThreadPool', 'ThreadPoolExecutor', 'Future', 'TimeoutError', 'BrokenPoolError']) {
           if (required[name] !== imported[name]) throw new Error(name + ' differs');
         }
         console.log('same');
       });`,
    ]);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /same/);
  });

  test(
    'the tarball ships the bundles, their source maps, declarations and docs; no per-file JS',
    T,
    () => {
      const { files } = packed();
      for (const file of [
        'package.json',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'dist/lib/spindle.js',
        'dist/lib/spindle.js.map',
        'dist/lib/spindle.cjs',
        'dist/lib/spindle.cjs.map',
        'dist/worker/thread.cjs',
        'dist/worker/thread.cjs.map',
        'dist/worker/child.cjs',
        'dist/worker/child.cjs.map',
        'dist/lib/task.js',
        'dist/lib/task.cjs',
        'dist/types/task/index.d.ts',
        'dist/types/task/index.d.cts',
        'dist/types/index.d.ts',
        'dist/types/index.d.cts',
        'dist/types/errors.d.ts',
        'dist/types/errors.d.cts',
        'dist/lib/redis.js',
        'dist/lib/redis.cjs',
        'dist/lib/cli.js',
        'dist/types/redis/index.d.ts',
        'dist/types/redis/index.d.cts',
      ]) {
        assert.ok(files.includes(file), `${file} is not in the tarball`);
      }
      const runnable = files.filter((file) => /\.(?:[cm]?js)$/.test(file));
      assert.deepEqual(runnable.sort(), [
        'dist/lib/cli.js',
        'dist/lib/redis.cjs',
        'dist/lib/redis.js',
        'dist/lib/spindle.cjs',
        'dist/lib/spindle.js',
        'dist/lib/task.cjs',
        'dist/lib/task.js',
        'dist/worker/child.cjs',
        'dist/worker/thread.cjs',
      ]);
      const stray = files.filter(
        (file) =>
          !/^dist\/(?:lib|worker)\/|^dist\/types\/.*\.d\.c?ts$/.test(file) &&
          !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(file),
      );
      assert.deepEqual(stray, []);
      for (const map of [
        'dist/lib/spindle.js.map',
        'dist/lib/spindle.cjs.map',
        'dist/lib/task.js.map',
        'dist/lib/redis.js.map',
        'dist/lib/cli.js.map',
        'dist/worker/thread.cjs.map',
        'dist/worker/child.cjs.map',
      ]) {
        const { sources, sourcesContent } = JSON.parse(readFileSync(join(ROOT, map), 'utf8')) as {
          sources: string[];
          sourcesContent?: (string | null)[];
        };
        assert.ok(
          sources.some((source) => source.endsWith('.ts')),
          `${map} maps to the TypeScript`,
        );
        assert.equal(sourcesContent?.length, sources.length, `${map} holds its sources`);
        assert.ok(sourcesContent.every((content) => typeof content === 'string'));
      }
    },
  );

  test('publint --strict and arethetypeswrong find no problem', { timeout: 120_000 }, () => {
    const { tarball } = packed();
    const unpacked = join(tarball, '..', 'unpacked');
    mkdirSync(unpacked, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
    tool('publint', ['--strict', '--pack', 'false', join(unpacked, 'package')]);
    tool('attw', [tarball, '--format', 'ascii']);
  });
});
