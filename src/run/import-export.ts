/**
 * Running a module task function, on a worker thread and on the main thread (`threads: 0`) alike:
 * import its module and find the export, with errors that say which and why.
 */
import type { ModuleFunctionDef } from '../protocol/functions.js';

/** Imports a task module (once per thread: the module cache sees to that) and finds the export. */
export async function importExport(
  def: ModuleFunctionDef,
): Promise<(...args: unknown[]) => unknown> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(def.url)) as Record<string, unknown>;
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    const why =
      code === 'ERR_MODULE_NOT_FOUND' ? 'it was not found' : String((cause as Error).message);
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
