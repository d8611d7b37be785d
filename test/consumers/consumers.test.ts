// Small consumer projects, each copied to a fresh directory with the built package linked into its
// node_modules (and tsx, where the project has it), then run in a child process as a user would:
// the test checks what the program printed and that it exited by itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const TSX_DIR = dirname(require.resolve('tsx/package.json'));
const TSX_BIN = (
  JSON.parse(readFileSync(join(TSX_DIR, 'package.json'), 'utf8')) as {
    bin: string | { tsx: string };
  }
).bin;
const TSX_CLI = join(TSX_DIR, typeof TSX_BIN === 'string' ? TSX_BIN : TSX_BIN.tsx);
const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh copy of `test/consumers/<name>`, with spindle (and tsx unless told) installed. */
function project(name: string, { tsx = true } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `spindle-${name}-`));
  made.push(dir);
  cpSync(fileURLToPath(new URL(`./${name}`, import.meta.url)), dir, { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'spindle'), 'dir');
  if (tsx) symlinkSync(TSX_DIR, join(dir, 'node_modules', 'tsx'), 'dir');
  return dir;
}

interface Run {
  status: number | null;
  out: string;
}

function run(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  // Not this test runner's child: a test runner in the project runs its own files.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  const child = spawnSync(process.execPath, args, {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...inherited, NODE_OPTIONS: '', ...env },
  });
  return { status: child.status, out: `${child.stdout}${child.stderr}` };
}

const T = { timeout: 120_000 };

/** The lines a consumer program prints when everything worked, for the thread counts given. */
function expectWorked(result: Run, lines: string[]): void {
  assert.equal(result.status, 0, result.out);
  for (const line of lines)
    assert.ok(result.out.includes(line), `missing "${line}" in:\n${result.out}`);
}

const ALL = ['inline/2 2,3,4', 'ts-url/2 2,4,6', 'js-name/2 2,4,6'];
const ALL_LOCAL = [...ALL, 'inline/0 2,3,4', 'ts-url/0 2,4,6', 'js-name/0 2,4,6'];

describe('TypeScript task modules, under each way of running TypeScript', () => {
  test('node --import tsx', T, () => {
    expectWorked(run(project('typescript-tasks'), ['--import', 'tsx', 'main.ts']), ALL_LOCAL);
  });

  test('the tsx command', T, () => {
    expectWorked(run(project('typescript-tasks'), [TSX_CLI, 'main.ts']), ALL_LOCAL);
  });

  test("NODE_OPTIONS='--import tsx'", T, () => {
    const dir = project('typescript-tasks');
    expectWorked(run(dir, ['main.ts'], { NODE_OPTIONS: '--import tsx' }), ALL_LOCAL);
  });

  test('tsx --test', T, () => {
    const result = run(project('typescript-tasks'), [
      TSX_CLI,
      '--test',
      '--test-reporter=tap',
      'app.spec.ts',
    ]);
    assert.equal(result.status, 0, result.out);
    assert.match(result.out, /# pass 1\b/);
  });

  test('plain node, with tsx installed beside the task module', T, () => {
    expectWorked(run(project('typescript-tasks'), ['main.mjs']), [
      'inline/2 2,3,4',
      'ts-url/2 2,4,6',
    ]);
  });

  test('plain node without any TypeScript loader: the error says how to fix it', T, () => {
    const result = run(project('typescript-tasks', { tsx: false }), ['main.mjs']);
    assert.equal(result.status, 1, result.out);
    assert.match(result.out, /inline\/2 2,3,4/);
    assert.match(
      result.out,
      /tasks\.ts for export "double": it is TypeScript, and no TypeScript loader was found/,
    );
    assert.match(result.out, /node --import tsx/);
  });

  const strips = Boolean((process.features as { typescript?: unknown }).typescript);
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const canStrip = strips || major > 22 || (major === 22 && minor >= 6);
  test("Node's own type stripping", {
    ...T,
    skip: canStrip ? false : `Node ${process.version} cannot strip types`,
  }, () => {
    const dir = project('typescript-tasks', { tsx: false });
    const flags = strips ? [] : ['--experimental-strip-types'];
    const result = run(dir, [...flags, '--no-warnings', 'native.ts']);
    expectWorked(result, ['inline/2 2,3,4', 'ts-url/2 2,4,6', 'ts-url/0 2,4,6']);
  });
});

describe('bundled by esbuild, with spindle inside the bundle', () => {
  async function bundle(dir: string, format: 'esm' | 'cjs'): Promise<string> {
    const { build } = await import('esbuild');
    const outfile = join(dir, 'out', format === 'esm' ? 'app.mjs' : 'app.cjs');
    const result = await build({
      entryPoints: [join(dir, 'app.js')],
      bundle: true,
      platform: 'node',
      format,
      outfile,
      logLevel: 'silent',
      // The one step the README names for CommonJS bundles: spindle reads `import.meta.url` only
      // where it exists, and esbuild's warning that it is empty there is expected.
      ...(format === 'cjs' ? { logOverride: { 'empty-import-meta': 'silent' as const } } : {}),
    });
    assert.deepEqual(
      result.warnings.map((w) => w.text),
      [],
    );
    cpSync(join(dir, 'tasks.mjs'), join(dir, 'out', 'tasks.mjs'));
    return outfile;
  }

  for (const format of ['esm', 'cjs'] as const) {
    test(`${format}: inline functions and task modules`, T, async () => {
      const dir = project('bundled', { tsx: false });
      const app = await bundle(dir, format);
      expectWorked(run(dir, [app]), ['inline 2,3,4', 'module 2,4,6']);
    });
  }

  test(
    'moved away from node_modules: the error names the paths tried and the fix; SPINDLE_WORKER_ENTRY fixes it',
    T,
    async () => {
      const dir = project('bundled', { tsx: false });
      const app = await bundle(dir, 'esm');
      const away = mkdtempSync(join(tmpdir(), 'spindle-away-'));
      made.push(away);
      cpSync(dirname(app), away, { recursive: true });
      const failed = run(away, [join(away, 'app.mjs')]);
      assert.equal(failed.status, 1, failed.out);
      assert.match(failed.out, /cannot find its worker entry \(tried: .*thread\.cjs/);
      assert.match(failed.out, /SPINDLE_WORKER_ENTRY/);
      cpSync(join(ROOT, 'dist', 'worker', 'thread.cjs'), join(away, 'thread.cjs'));
      const fixed = run(away, [join(away, 'app.mjs')], {
        SPINDLE_WORKER_ENTRY: join(away, 'thread.cjs'),
      });
      expectWorked(fixed, ['inline 2,3,4', 'module 2,4,6']);
    },
  );
});
