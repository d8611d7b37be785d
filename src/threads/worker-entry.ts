/**
 * The file each worker thread starts from: `dist/worker/thread.cjs` of the spindle package.
 *
 * It is bundled at build time into one CommonJS file: a thread boots faster with one module to
 * load, and faster still when it need not start the ES module loader for its entry. A program
 * that bundles spindle has no such file beside its bundle (an ES module bundle), or no
 * `import.meta.url` at all (a CommonJS bundle): so it is looked for, in this order, where the
 * pool's `workerEntry` option (checked in options/resolve.ts) or the `SPINDLE_WORKER_ENTRY`
 * environment variable says, beside this module, then in the spindle package installed where the
 * program runs (from the working directory, then from the main script).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHIPPED_WORKER_ENTRY } from '../options/resolve.js';
import { filePath } from '../options/validate.js';
import { resolveInstalled } from '../run/resolve-package.js';

/** The environment variable that names the worker entry, for programs that bundle spindle. */
export const WORKER_ENTRY_VARIABLE = 'SPINDLE_WORKER_ENTRY';

/** Found once, when the first thread of a pool without the option starts. */
let found: string | undefined;

/** What to do when the entry cannot be found: every fix there is. */
const FIX =
  `ship the file \`${SHIPPED_WORKER_ENTRY}\` with the program and name it with the pool ` +
  "option `workerEntry` (e.g. `new ThreadPool({ workerEntry: new URL('./thread.cjs', import.meta.url) })`) or " +
  `the environment variable ${WORKER_ENTRY_VARIABLE}; or leave spindle out of the bundle ` +
  '(e.g. esbuild --external:spindle, webpack `externals`) so that it loads from node_modules';

/** `dist/worker/thread.cjs` of the spindle package installed where `from` would find it. */
function installedEntry(from: string): string | undefined {
  const manifest = resolveInstalled(from, 'spindle/package.json');
  return manifest && join(dirname(manifest), 'dist', 'worker', 'thread.cjs');
}

/** The entry file of a pool without the `workerEntry` option; throws, saying how to fix it. */
export function findWorkerEntry(): string {
  if (found) return found;
  const named = process.env[WORKER_ENTRY_VARIABLE];
  if (named) {
    let path: string | undefined;
    try {
      path = filePath(named);
    } catch {}
    if (!path || !existsSync(path)) {
      throw new Error(
        `spindle cannot find its worker entry: ${WORKER_ENTRY_VARIABLE} names ${JSON.stringify(named)}, ` +
          `and there is no such file${path ? ` (${path})` : ''}. To fix it: ${FIX}`,
      );
    }
    found = path;
    return found;
  }
  const tried: string[] = [];
  const candidates: (() => string | undefined)[] = [
    // A literal `new URL(…, import.meta.url)`: webpack copies the file into its output.
    () =>
      import.meta.url ? fileURLToPath(new URL('../worker/thread.cjs', import.meta.url)) : undefined,
    () => installedEntry(join(process.cwd(), 'noop.js')),
    () => (process.argv[1] ? installedEntry(resolve(process.argv[1])) : undefined),
  ];
  for (const candidate of candidates) {
    let path: string | undefined;
    try {
      path = candidate();
    } catch {}
    if (!path || tried.includes(path)) continue;
    if (existsSync(path)) {
      found = path;
      return found;
    }
    tried.push(path);
  }
  const where = tried.length
    ? `tried: ${tried.join(', ')}`
    : 'tried no path: it is not beside the bundle, and spindle is not installed where the program runs';
  throw new Error(
    `spindle cannot find its worker entry, the file \`${SHIPPED_WORKER_ENTRY}\` (${where}). To fix it: ${FIX}`,
  );
}
