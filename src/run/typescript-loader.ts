/**
 * TypeScript task modules, wherever the program runs: a thread (or the main thread, with
 * `threads: 0`) that is about to import a TypeScript file makes sure something can load it.
 *
 * - The main thread runs under tsx (`node --import tsx`, the `tsx` command, `NODE_OPTIONS`, `tsx
 *   --test`): the thread registers the same tsx, whose location the main thread sends it.
 * - Node strips types itself (Node >= 22.18, or `--experimental-strip-types`): the thread has the
 *   same support, inherited with the process's options; nothing to do for a `.ts` file.
 * - Neither (vitest, which transforms TypeScript only in its own module runner; or plain
 *   `node` on Node 20): tsx is looked for beside the task module, then in the working directory,
 *   and registered if found.
 * - Nothing found: the import fails with an error that says what to install or run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { resolveInstalled } from './resolve-package.js';

const TS_EXTENSION = /\.(?:[cm]?ts|tsx)$/;

/** The fix named by every "cannot load TypeScript" error. */
export const TYPESCRIPT_LOADER_FIX =
  'install tsx where the task module is (npm install -D tsx: the threads register it themselves, ' +
  'also under vitest, Jest or plain `node`), or run the program under a TypeScript loader, e.g. ' +
  '`node --import tsx`, the `tsx` command or `node --loader ts-node/esm`; or on Node >= 22.18 ' +
  '(type stripping) name the `.ts` file itself; or point fromModule() at the compiled `.js` file';

/** The options that load code before the program: `--import tsx`, `-r ts-node/register`… */
const PRELOAD = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/** A preloaded module that is tsx (`tsx`, `tsx/esm`, or the files the `tsx` command gives). */
export function isTsx(value: string): boolean {
  return /^tsx(?:\/(?:esm|cjs))?$/.test(value) || /[\\/]tsx[\\/]dist[\\/]/.test(value);
}

/** Another TypeScript loader: ts-node, @swc-node/register, esbuild-register, @esbuild-kit. */
function isOtherLoader(value: string): boolean {
  return /(?:^|[\\/])(?:ts-node|@swc-node|esbuild-register|@esbuild-kit)(?:[\\/]|$)/.test(value);
}

/** The modules a list of Node options preloads, with each option's index. */
export function preloads(
  args: readonly string[],
): { index: number; count: number; value: string }[] {
  const found: { index: number; count: number; value: string }[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0 && PRELOAD.has(arg.slice(0, eq))) {
      found.push({ index: i, count: 1, value: arg.slice(eq + 1) });
    } else if (PRELOAD.has(arg) && i + 1 < args.length) {
      found.push({ index: i, count: 2, value: args[i + 1] as string });
      i++;
    }
  }
  return found;
}

/** `NODE_OPTIONS`, split as Node splits it (spaces; double quotes group). */
export function nodeOptions(): string[] {
  const text = process.env.NODE_OPTIONS ?? '';
  return [...text.matchAll(/"((?:\\.|[^"])*)"|(\S+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] as string),
  );
}

/**
 * Where the tsx the process runs under can be registered from (`tsx/esm/api`, as a URL), if
 * it runs under tsx: given as `--import tsx` or the like in its options or in `NODE_OPTIONS`,
 * or by the `tsx` command (which gives the paths of tsx's own files).
 */
export function processTsxApi(): string | undefined {
  const cwd = join(process.cwd(), 'noop.js');
  for (const { value } of [...preloads(process.execArgv), ...preloads(nodeOptions())]) {
    if (!isTsx(value)) continue;
    const from = value.startsWith('file:')
      ? fileURLToPath(value)
      : /[\\/]/.test(value)
        ? value
        : cwd;
    return resolveTsxApi(from) ?? resolveTsxApi(cwd);
  }
  return undefined;
}

/** The options of this thread (and on the main thread, `NODE_OPTIONS`). */
function ownOptions(): string[] {
  return isMainThread ? [...process.execArgv, ...nodeOptions()] : process.execArgv;
}

/** Whether this thread's options preload a TypeScript loader. */
function loaderInOptions(): boolean {
  return preloads(ownOptions()).some(({ value }) => isTsx(value) || isOtherLoader(value));
}

const attempts = new Map<string, Promise<boolean>>();
let tsxLoaded = false;

/** The URL of an `import` entry of tsx's (`./esm/api`, `./cjs/api`), given its package.json. */
function tsxEntry(manifest: string, subpath: string): string | undefined {
  try {
    const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as {
      exports?: Record<string, unknown>;
    };
    let entry: unknown = exports?.[subpath];
    while (entry && typeof entry === 'object') {
      const conditions = entry as Record<string, unknown>;
      entry = conditions.import ?? conditions.node ?? conditions.default;
    }
    if (typeof entry !== 'string') return undefined;
    return pathToFileURL(join(dirname(manifest), entry)).href;
  } catch {
    return undefined;
  }
}

/**
 * `tsx/esm/api` as resolved from `from` (a file path) by `import`, as a URL, or undefined. (Its
 * `require` build fails to register in a worker thread; `require.resolve` would find that one.)
 */
export function resolveTsxApi(from: string): string | undefined {
  const manifest = resolveInstalled(from, 'tsx/package.json');
  return manifest && tsxEntry(manifest, './esm/api');
}

/** Imports one of tsx's APIs and registers its hooks; false if that fails. */
async function registerApi(url: string): Promise<boolean> {
  try {
    const api = (await import(/* webpackIgnore: true */ /* @vite-ignore */ url)) as {
      register?: () => unknown;
    };
    if (typeof api.register !== 'function') return false;
    api.register();
    return true;
  } catch {
    return false;
  }
}

/**
 * Registers tsx's hooks from its `esm/api` entry (once per thread); false if that fails. Its
 * CommonJS hooks too (`cjs/api`), as `--import tsx` does: without them, a `.ts` file with `export`s
 * in a package that is not `"type": "module"` fails to load ("Cannot require() ES Module … in a
 * cycle").
 */
export function registerTsx(apiUrl: string): Promise<boolean> {
  if (tsxLoaded) return Promise.resolve(true);
  let attempt = attempts.get(apiUrl);
  if (!attempt) {
    attempt = (async () => {
      if (tsxLoaded) return true;
      if (!(await registerApi(apiUrl))) return false;
      tsxLoaded = true;
      let manifest: string | undefined;
      try {
        manifest = resolveInstalled(fileURLToPath(apiUrl), 'tsx/package.json');
      } catch {}
      const cjsApi = manifest && tsxEntry(manifest, './cjs/api');
      if (cjsApi) await registerApi(cjsApi);
      return true;
    })();
    attempts.set(apiUrl, attempt);
  }
  return attempt;
}

/** Node's own TypeScript support in this thread (type stripping), if any. */
function nativeTypeScript(): boolean {
  const features = process.features as { typescript?: unknown };
  if (features.typescript) return true;
  return ownOptions().some((a) => /^--experimental-(?:strip|transform)-types$/.test(a));
}

/** The TypeScript file a `file:` URL names or stands for (`./tasks.js` written for `tasks.ts`). */
function typeScriptFile(url: string): { path: string; named: boolean } | undefined {
  if (!url.startsWith('file:')) return undefined;
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch {
    return undefined;
  }
  if (TS_EXTENSION.test(path)) return { path, named: true };
  if (existsSync(path)) return undefined;
  const stem = path.replace(/\.([cm]?)jsx?$/, '');
  if (stem === path) return undefined;
  const js = /\.([cm]?)jsx?$/.exec(path)?.[1] ?? '';
  for (const ext of [`.${js}ts`, '.tsx', '.ts']) {
    if (existsSync(stem + ext)) return { path: stem + ext, named: false };
  }
  return undefined;
}

/**
 * Makes sure the module at `url` can be imported if it is TypeScript: registers tsx when needed
 * and found. When nothing is found, the import is tried all the same: a loader registered in a way
 * not recognised here (`module.register()` from a file or a `data:` URL, say) may load it; if it
 * fails, typeScriptFailure() says why.
 */
export async function typeScriptReady(url: string): Promise<void> {
  const ts = typeScriptFile(url);
  if (!ts) return;
  if (tsxLoaded || loaderInOptions()) return;
  // Node strips types itself, but maps no `.js` specifier to a `.ts` file.
  if (ts.named && nativeTypeScript()) return;
  for (const from of [ts.path, join(process.cwd(), 'noop.js')]) {
    const api = resolveTsxApi(from);
    if (api && (await registerTsx(api))) return;
  }
}

/**
 * A TypeScript module that Node's type stripping loaded failed on an import of `./x.js` written for
 * `x.ts` (Node maps no `.js` specifier to a `.ts` file): if tsx is installed where the module is,
 * it is registered, and the URL to import the module again under is returned (a new URL: the
 * failed import stays failed in the module cache). Otherwise undefined.
 */
export async function retryUnderTsx(url: string, cause: unknown): Promise<string | undefined> {
  // Not `tsxLoaded`: after the first export's retry, the module's other exports fail the same way
  // (the failed import is cached) and are imported again under the same new URL.
  if ((cause as { code?: unknown } | null)?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const ts = typeScriptFile(url);
  const missing = /Cannot find module '([^']+)'/.exec(String((cause as Error).message))?.[1];
  if (!ts?.named || !missing || !unmappedImport(missing)) return undefined;
  for (const from of [ts.path, join(process.cwd(), 'noop.js')]) {
    const api = resolveTsxApi(from);
    if (api && (await registerTsx(api))) return `${url}${url.includes('?') ? '&' : '?'}tsx`;
  }
  return undefined;
}

/**
 * A TypeScript module loaded by Node's type stripping imports `./x.js` written for `x.ts`: Node
 * maps no `.js` specifier to a `.ts` file (tsx does).
 */
function unmappedImport(missing: string): string | undefined {
  const dependency = typeScriptFile(pathToFileURL(missing).href);
  if (!dependency || dependency.named || !nativeTypeScript()) return undefined;
  return (
    `it imports ${missing}, which stands for the TypeScript file ${dependency.path}, and Node's ` +
    'type stripping maps no `.js` specifier to a `.ts` file: import it by its `.ts` name ' +
    '(tsconfig: `rewriteRelativeImportExtensions`), or install tsx where the task module is ' +
    '(npm install -D tsx: the threads then load it with tsx), or run the program under a ' +
    'loader that maps them, e.g. `node --import tsx` or the `tsx` command'
  );
}

/**
 * Why the module at `url` could not be imported, if it is TypeScript (or a `.js` name that stands
 * for a TypeScript file) and the failure is Node's "unknown extension" or "not found" for it: no
 * loader took it, and how to fix that. Undefined for anything else.
 */
export function typeScriptFailure(url: string, cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' && code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const ts = typeScriptFile(url);
  if (!ts) return undefined;
  const message = String((cause as Error).message);
  // "Cannot find module '<path>' imported from <importer>": this module, or one it imports.
  const missing = /Cannot find module '([^']+)'/.exec(message)?.[1];
  if (code === 'ERR_MODULE_NOT_FOUND' && missing !== fileURLToPath(url)) {
    return missing ? unmappedImport(missing) : undefined;
  }
  const what = ts.named ? 'it is TypeScript' : `it stands for the TypeScript file ${ts.path}`;
  const mapping =
    !ts.named && nativeTypeScript() ? ' that maps `.js` specifiers to `.ts` files' : '';
  return `${what}, and no TypeScript loader${mapping} was found: ${TYPESCRIPT_LOADER_FIX}`;
}
