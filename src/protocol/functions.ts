/** How a task function is named on the wire: its source once, or a module export. */

/** A place in the user's source (1-based), as a stack trace names it. */
export interface SourceOrigin {
  /** A `file:` URL or a path. */
  url: string;
  line: number;
  column: number;
}

export interface InlineFunctionDef {
  kind: 'inline';
  id: number;
  /** `Function.prototype.toString()` of the function. */
  source: string;
  name: string;
  /** Where the function was written, so that its stack frames name the user's file and line. */
  origin?: SourceOrigin;
}

export interface ModuleFunctionDef {
  kind: 'module';
  id: number;
  /** A `file:` URL or a bare specifier, as `import()` takes it. */
  url: string;
  exportName: string;
}

export type FunctionDef = InlineFunctionDef | ModuleFunctionDef;

export function describeFunctionDef(def: FunctionDef): string {
  return def.kind === 'inline'
    ? `inline task function ${def.name ? `"${def.name}"` : '(anonymous)'}`
    : `export "${def.exportName}" of ${def.url}`;
}

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
