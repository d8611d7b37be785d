/**
 * How a task module is named across machines. The client sends a reference, not a path of its
 * own machine: a bare package specifier as it is (`my-tasks`, `@acme/jobs/tasks.js`), a file
 * module by its path relative to a `root` that client and worker both name (by default the
 * directory each runs from), so that `./dist/tasks.js` means the same module wherever the worker
 * runs. A worker serves only the references of the modules it was given (`--modules`).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The reference of a module given as `import()` takes it (a `file:` URL or a bare specifier). */
export function moduleReference(url: string, root: string): string {
  if (!url.startsWith('file:')) return url;
  const path = relative(root, fileURLToPath(url)).split(sep).join('/');
  return path.startsWith('../') ? path : `./${path}`;
}

/** Whether a `--modules` entry names a file (else it is a bare package specifier). */
export function isFileEntry(entry: string): boolean {
  return (
    entry.startsWith('.') ||
    isAbsolute(entry) ||
    entry.startsWith('file:') ||
    /\.(?:[cm]?[jt]s|[jt]sx)$/.test(entry)
  );
}

/** What a worker serves for one `--modules` entry: its reference, and what `import()` takes. */
export interface ServedModule {
  reference: string;
  url: string;
}

/** A `--modules` entry, checked: a file that does not exist is a RangeError that names it. */
export function servedModule(entry: string, root: string, cwd = process.cwd()): ServedModule {
  if (!isFileEntry(entry)) return { reference: entry, url: entry };
  const path = entry.startsWith('file:') ? fileURLToPath(entry) : resolve(cwd, entry);
  if (!existsSync(path)) {
    throw new RangeError(
      `The task module ${JSON.stringify(entry)} given to --modules does not exist (looked for ${path})`,
    );
  }
  const url = pathToFileURL(path).href;
  return { reference: moduleReference(url, root), url };
}
