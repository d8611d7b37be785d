/**
 * TypeScript task modules, wherever the program runs: a thread (or the main thread, with
 * `threads: 0`) that is about to import a TypeScript file makes sure something can load it.
 *
 * - The main thread runs under tsx (`node --import tsx`, the `tsx` command, `NODE_OPTIONS`, `tsx
 *   --test`): the thread registers the same tsx, whose location the main thread sends it.
 * - Otherwise (plain `node`, vitest, which transforms TypeScript only in its own module runner):
 *   tsx is looked for beside the task module, then in the working directory, and registered if
 *   found. Even where Node strips types itself (Node >= 22.18, or `--experimental-strip-types`):
 *   TypeScript modules import each other by `.js` names, which only a loader maps to `.ts` files.
 * - No tsx, and Node strips types: a `.ts` file named as such is left to Node.
 * - Nothing found: the import fails with an error that says what to install or run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

const TS_EXTENSION = /\.(?:[cm]?ts|tsx)$/;

/** The fix named by every "cannot load TypeScript" error. */
export const TYPESCRIPT_LOADER_FIX =
  'run the program under a TypeScript loader, e.g. `node --import tsx` or the `tsx` command ' +
  '(npm install -D tsx), or on Node >= 22.18 (type stripping) name the `.ts` file itself; ' +
  'or point fromModule() at the compiled `.js` file';

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

/**
 * `tsx/esm/api` as resolved from `from` (a file path) by `import`, as a URL, or undefined. (Its
 * `require` build fails to register in a worker thread; `require.resolve` would find that one.)
 */
export function resolveTsxApi(from: string): string | undefined {
  try {
    const manifest = createRequire(from).resolve('tsx/package.json');
    const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as {
      exports?: Record<string, unknown>;
    };
    let entry: unknown = exports?.['./esm/api'];
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

/** Registers tsx's hooks from its `esm/api` entry (once per thread); false if that fails. */
export function registerTsx(apiUrl: string): Promise<boolean> {
  if (tsxLoaded) return Promise.resolve(true);
  let attempt = attempts.get(apiUrl);
  if (!attempt) {
    attempt = (async () => {
      try {
        const api = (await import(/* webpackIgnore: true */ /* @vite-ignore */ apiUrl)) as {
          register?: () => unknown;
        };
        if (typeof api.register !== 'function') return false;
        if (!tsxLoaded) api.register();
        tsxLoaded = true;
        return true;
      } catch {
        return false;
      }
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
 * and found; throws, saying how to fix it, when nothing can load it.
 */
export async function typeScriptReady(url: string): Promise<void> {
  const ts = typeScriptFile(url);
  if (!ts) return;
  if (tsxLoaded || loaderInOptions()) return;
  for (const from of [ts.path, join(process.cwd(), 'noop.js')]) {
    const api = resolveTsxApi(from);
    if (api && (await registerTsx(api))) return;
  }
  // Node strips types itself, but maps no `.js` specifier to a `.ts` file (see
  // unmappedTypeScriptImport for the error when the module needs it).
  if (ts.named && nativeTypeScript()) return;
  const what = ts.named ? 'it is TypeScript' : `it stands for the TypeScript file ${ts.path}`;
  const mapping =
    !ts.named && nativeTypeScript() ? ' that maps `.js` specifiers to `.ts` files' : '';
  throw new Error(
    `${what}, and no TypeScript loader${mapping} was found: ${TYPESCRIPT_LOADER_FIX}`,
  );
}

/**
 * A module that Node's own type stripping loaded failed on an import of a `.js` name that stands
 * for a `.ts` file (`import './scale.js'` for scale.ts), which Node does not map: that file, or
 * undefined if the failure is anything else.
 */
export function unmappedTypeScriptImport(cause: unknown): string | undefined {
  if ((cause as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const message = String((cause as Error).message);
  // "Cannot find module '/abs/scale.js' imported from /abs/tasks.ts"
  const match = /Cannot find module '([^']+)' imported from (\S+)/.exec(message);
  if (!match || !TS_EXTENSION.test(match[2] as string)) return undefined;
  const wanted = typeScriptFile(pathToFileURL(match[1] as string).href);
  return wanted && !wanted.named ? wanted.path : undefined;
}
