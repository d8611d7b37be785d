// Consumer projects, set up as a user's would be: a fresh copy of `test/consumers/<name>` with
// spindle installed from `npm pack` of the working tree (so what is tested is what users get:
// the `files` list, the exports, the built bundles), and the tools it needs (tsx, a bundler, a
// test runner) taken from this repository's devDependencies. Each program then runs in a child
// process: a test checks what it printed and that it exited by itself.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

/** A hard timeout for each test: a consumer that hangs fails its test, not the run. */
export const T = { timeout: 180_000 };

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new temporary directory, removed when the test file is done. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `spindle-${name}-`));
  made.push(dir);
  return dir;
}

let unpacked: string | undefined;

/**
 * The package as `npm pack` makes it from the built working tree, unpacked: once per test file.
 * (`--ignore-scripts`: `prepack` would rebuild dist/ under the other test files; `npm test` and
 * `npm run test:consumers` build it first.) spindle has no runtime dependency, so unpacking it
 * into a project's node_modules is what `npm install spindle.tgz` does, without the network.
 */
export function packedSpindle(): string {
  if (unpacked) return unpacked;
  const dir = tempDir('pack');
  const [info] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as { filename: string }[];
  execFileSync('tar', ['-xzf', join(dir, info!.filename), '-C', dir]);
  unpacked = join(dir, 'package');
  return unpacked;
}

/** The directory of a devDependency of this repository. */
export function toolDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/** The file a devDependency's `bin` names (`name` by default). */
export function toolBin(tool: string, name = tool): string {
  const dir = toolDir(tool);
  const { bin } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    bin: string | Record<string, string>;
  };
  const file = typeof bin === 'string' ? bin : bin[name];
  assert.ok(file, `${tool} has no bin ${name}`);
  return join(dir, file);
}

/**
 * A fresh copy of `test/consumers/<name>` with spindle installed from the tarball, and each of
 * `tools` (devDependencies of this repository) linked into its node_modules.
 */
export function project(name: string, tools: readonly string[] = []): string {
  const dir = tempDir(name);
  cpSync(fileURLToPath(new URL(`./${name}`, import.meta.url)), dir, { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  cpSync(packedSpindle(), join(dir, 'node_modules', 'spindle'), { recursive: true });
  for (const tool of tools) {
    const target = join(dir, 'node_modules', tool);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(toolDir(tool), target, 'dir');
  }
  return dir;
}

export interface Run {
  status: number | null;
  out: string;
}

/** Runs `node …args` in `dir`, with the environment of a user's shell plus `env`. */
export function run(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  // Not this test runner's child: a test runner in the project runs its own files.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  const child = spawnSync(process.execPath, args, {
    cwd: dir,
    encoding: 'utf8',
    timeout: 150_000,
    env: { ...inherited, NODE_OPTIONS: '', NO_COLOR: '1', FORCE_COLOR: '0', ...env },
  });
  const timedOut = child.error ? `\n(${child.error.message})` : '';
  return { status: child.status, out: `${child.stdout}${child.stderr}${timedOut}` };
}

/** The program exited by itself with status 0 and printed each of `lines`. */
export function expectWorked(result: Run, lines: readonly string[]): void {
  assert.equal(result.status, 0, result.out);
  for (const line of lines) {
    assert.ok(result.out.includes(line), `missing "${line}" in:\n${result.out}`);
  }
}

/** The worker entry as the package ships it, to copy beside a bundle. */
export function shippedWorkerEntry(): string {
  return join(packedSpindle(), 'dist', 'worker', 'thread.cjs');
}
