// The measuring children run on plain `node`, not under tsx: a loader in the parent would be
// inherited by every worker thread of every pool (execArgv), adding its start-up time and
// memory to each thread. So the child-side TypeScript is transpiled (no type check; that is
// `npm run typecheck`'s job) into BUILD_DIR, with the same layout, before the run.
import { spawnSync } from 'node:child_process';
import { copyFile, cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { BENCH_DIR, BUILD_DIR, ROOT_DIR } from './paths.js';

/** Child-side sources, relative to bench/. */
const CHILD_SOURCES = [
  'child.ts',
  'adapters',
  'child',
  'shared',
  'workloads',
  'workers',
  'servers',
  'redis',
];

async function* filesUnder(path: string): AsyncGenerator<string> {
  if (!(await stat(path)).isDirectory()) {
    yield path;
    return;
  }
  for (const entry of await readdir(path)) yield* filesUnder(join(path, entry));
}

/** Transpiles the child side into BUILD_DIR and returns the path of the child entry point. */
export async function buildChildScripts(): Promise<string> {
  await rm(BUILD_DIR, { recursive: true, force: true });
  await mkdir(BUILD_DIR, { recursive: true });
  // A package scope of its own: `import 'spindle'` in the children must not resolve to this
  // package itself (that would be dist/, which can change during the run), but to the snapshot.
  await writeFile(join(BUILD_DIR, 'package.json'), '{ "private": true, "type": "module" }\n');
  const compilerOptions: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    target: ts.ScriptTarget.ES2022,
    verbatimModuleSyntax: true,
  };
  for (const source of CHILD_SOURCES) {
    for await (const file of filesUnder(join(BENCH_DIR, source))) {
      const target = join(BUILD_DIR, relative(BENCH_DIR, file));
      await mkdir(dirname(target), { recursive: true });
      if (file.endsWith('.ts')) {
        const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
          compilerOptions,
          fileName: file,
        });
        await writeFile(target.replace(/\.ts$/, '.js'), outputText);
      } else {
        await copyFile(file, target);
      }
    }
  }
  return join(BUILD_DIR, 'child.js');
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for await (const file of filesUnder(dir)) newest = Math.max(newest, (await stat(file)).mtimeMs);
  return newest;
}

async function mtimeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure dist/ (what `import 'spindle'` loads) exists and is not older than src/, running
 * `npm run build` when needed (`npm run bench` already does, as its `prebench`; this covers
 * `node --import tsx bench/run.ts`). Returns why spindle cannot be measured, or undefined.
 */
export async function ensureSpindleBuilt(allowBuild: boolean): Promise<string | undefined> {
  const distEntry = join(ROOT_DIR, 'dist', 'lib', 'spindle.js');
  const srcDir = join(ROOT_DIR, 'src');
  const built = await mtimeOf(distEntry);
  const hasSrc = (await mtimeOf(join(srcDir, 'index.ts'))) !== undefined;
  if (!hasSrc) return built === undefined ? 'no src/index.ts and no dist/ yet' : undefined;
  if (built !== undefined && built >= (await newestMtime(srcDir))) return undefined;
  if (!allowBuild) {
    return built === undefined ? 'dist/ missing (run `npm run build`)' : undefined;
  }
  process.stderr.write('dist/ is missing or older than src/: running `npm run build`...\n');
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT_DIR, encoding: 'utf8' });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    if ((await mtimeOf(distEntry)) === undefined) return '`npm run build` failed';
    process.stderr.write('`npm run build` reported errors; measuring dist/ as emitted.\n');
  }
  return undefined;
}

/**
 * Copies dist/ and package.json into BUILD_DIR/node_modules/spindle, where the children's
 * `import 'spindle'` finds it: the whole run measures one build, even if dist/ is rebuilt
 * meanwhile (the working tree is shared). Call after buildChildScripts().
 */
export async function snapshotSpindle(): Promise<void> {
  const target = join(BUILD_DIR, 'node_modules', 'spindle');
  await mkdir(target, { recursive: true });
  await copyFile(join(ROOT_DIR, 'package.json'), join(target, 'package.json'));
  await cp(join(ROOT_DIR, 'dist'), join(target, 'dist'), { recursive: true });
}

/** The commit spindle was measured at, and whether src/ had uncommitted changes. */
export function spindleRevision(): string {
  const git = (...args: string[]) =>
    spawnSync('git', args, { cwd: ROOT_DIR, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git('rev-parse', '--short', 'HEAD');
  if (commit === '') return 'unknown';
  return git('status', '--porcelain', '--', 'src', 'package.json') === ''
    ? commit
    : `${commit}+uncommitted`;
}
