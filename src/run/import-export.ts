/**
 * Running a module task function, on a worker thread and on the main thread (`threads: 0`) alike:
 * import its module and find the export, with errors that say which and why.
 */
import { fileURLToPath } from 'node:url';
import type { ModuleFunctionDef } from '../protocol/functions.js';
import {
  TYPESCRIPT_LOADER_FIX,
  typeScriptReady,
  unmappedTypeScriptImport,
} from './typescript-loader.js';

/** Why a module could not be imported, in words that say what to do. */
function whyNotLoaded(url: string, cause: unknown): string {
  const code = (cause as { code?: unknown }).code;
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.(?:[cm]?ts|tsx)\b/.test(String(cause))) {
    return `no TypeScript loader could load it: ${TYPESCRIPT_LOADER_FIX}`;
  }
  const unmapped = unmappedTypeScriptImport(cause);
  if (unmapped) {
    return (
      'it is TypeScript, and no TypeScript loader was found to map the `.js` name it imports ' +
      `to ${unmapped} (Node's own type stripping does not): ${TYPESCRIPT_LOADER_FIX}`
    );
  }
  if (code === 'ERR_MODULE_NOT_FOUND' && url.startsWith('file:')) {
    let path = url;
    try {
      path = fileURLToPath(url);
    } catch {}
    // The module itself, not one it imports ("… imported from <path>").
    if (String((cause as Error).message).includes(`'${path}'`)) {
      return `not found: there is no file ${path} (fromModule() resolves a relative path against the file that calls it)`;
    }
  }
  return String((cause as Error).message);
}

/** Imports a task module (once per thread: the module cache sees to that) and finds the export. */
export async function importExport(
  def: ModuleFunctionDef,
): Promise<(...args: unknown[]) => unknown> {
  let namespace: Record<string, unknown>;
  try {
    await typeScriptReady(def.url);
  } catch (cause) {
    throw new Error(
      `Cannot load task module ${def.url} for export "${def.exportName}": ${(cause as Error).message}`,
      { cause },
    );
  }
  try {
    namespace = (await import(/* webpackIgnore: true */ /* @vite-ignore */ def.url)) as Record<
      string,
      unknown
    >;
  } catch (cause) {
    const why = whyNotLoaded(def.url, cause);
    throw new Error(`Cannot load task module ${def.url} for export "${def.exportName}": ${why}`, {
      cause,
    });
  }
  let value = namespace[def.exportName];
  // A CommonJS module imported from ESM exposes its exports on `default`.
  if (value === undefined && namespace.default && typeof namespace.default === 'object') {
    value = (namespace.default as Record<string, unknown>)[def.exportName];
  }
  if (typeof value !== 'function') {
    const found = value === undefined ? 'it has no such export' : `it is a ${typeof value}`;
    const exported = Object.keys(namespace).filter((k) => typeof namespace[k] === 'function');
    throw new TypeError(
      `Task module ${def.url} has no exported function "${def.exportName}" (${found}); ` +
        `its exported functions are: ${exported.join(', ') || '(none)'}`,
    );
  }
  return value as (...args: unknown[]) => unknown;
}
