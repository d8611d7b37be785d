// A second build of spindle, from another commit, for A/B comparisons inside one process (the
// forms workload loads both). Built once per commit into bench/results/.baseline/<commit>/ from
// `git archive` of that commit, with this checkout's node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RESULTS_DIR, ROOT_DIR } from './paths.js';

const STATS_SOURCE = 'src/engine/stats.ts';

function git(...args: string[]): string {
  const result = spawnSync('git', args, { cwd: ROOT_DIR, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** `auto`: the first-parent commit before the one that added the stats collector. */
function resolveRef(ref: string): { commit: string; label: string } {
  if (ref !== 'auto') return { commit: git('rev-parse', '--short', ref), label: ref };
  const added = git('log', '--first-parent', '--diff-filter=A', '--format=%h', '--', STATS_SOURCE)
    .split('\n')
    .filter(Boolean)
    .pop();
  if (added === undefined) throw new Error(`no commit adds ${STATS_SOURCE}`);
  const commit = git('rev-parse', '--short', `${added}^1`);
  return { commit, label: `${commit}, before the stats and control features` };
}

/** Builds spindle at `ref` (once) and returns its module's URL and a label for the report. */
export async function buildBaseline(ref: string): Promise<{ url: string; ref: string }> {
  const { commit, label } = resolveRef(ref);
  const dir = join(RESULTS_DIR, '.baseline', commit);
  const entry = join(dir, 'dist', 'lib', 'spindle.js');
  if (!existsSync(entry)) {
    process.stderr.write(`building the baseline spindle at ${commit}...\n`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const paths = git('ls-tree', '--name-only', commit)
      .split('\n')
      .filter((p) => p === 'src' || p === 'scripts' || /^(package|tsconfig.*)\.json$/.test(p));
    const archive = spawnSync('git', ['archive', '--format=tar', commit, ...paths], {
      cwd: ROOT_DIR,
      maxBuffer: 1 << 30,
    });
    if (archive.status !== 0) throw new Error(`git archive ${commit} failed`);
    const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
    if (untar.status !== 0) throw new Error(`cannot unpack ${commit}: ${untar.stderr}`);
    await symlink(join(ROOT_DIR, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (build.status !== 0 || !existsSync(entry)) {
      throw new Error(`building ${commit} failed: ${(build.stderr || build.stdout).slice(-500)}`);
    }
  }
  return { url: pathToFileURL(entry).href, ref: label };
}
