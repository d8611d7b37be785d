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
