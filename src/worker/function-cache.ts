/**
 * The worker's functions, keyed by the id the main thread gave them: inline functions compiled
 * once from their source, module exports imported once (with their module's own state).
 */

import type { FunctionDef } from '../protocol/functions.js';
import { compileFunction } from '../run/compile.js';

export type AnyFunction = (...args: unknown[]) => unknown;

// esbuild-based loaders (tsx, vitest, ts-node/esm with swc…) rewrite functions to call helpers
// such as `__name(fn, "fn")` that live at the top of the original file, not in the function's
// source. Give them a home here so a function compiled from its source still runs.
const helpers = globalThis as Record<string, unknown>;
helpers.__name ??= (target: unknown, value: string) =>
  Object.defineProperty(target, 'name', { value, configurable: true });
helpers.__defProp ??= Object.defineProperty;

export class FunctionCache {
  readonly #beforeImport: () => Promise<void>;
  readonly #defs = new Map<number, FunctionDef>();
  readonly #ready = new Map<number, AnyFunction>();
  readonly #loading = new Map<number, Promise<AnyFunction>>();
  /** Inline functions that import `spindle/task` (their tasks keep their context across awaits). */
  readonly #taskApiUsers = new WeakSet<AnyFunction>();
  #anyTaskApiUser = false;

  /** `beforeImport` runs (and is awaited) before a task module is first imported. */
  constructor(beforeImport: () => Promise<void>) {
    this.#beforeImport = beforeImport;
  }

  define(def: FunctionDef): void {
    this.#defs.set(def.id, def);
  }

  /** No task of this thread will use these again (the main thread evicted them). */
  forget(ids: readonly number[]): void {
    for (const id of ids) {
      this.#defs.delete(id);
      this.#ready.delete(id);
      this.#loading.delete(id);
    }
  }

  /** The function if it can be had synchronously; throws if it cannot be compiled. */
  get(id: number): AnyFunction | undefined {
    const ready = this.#ready.get(id);
    if (ready) return ready;
    const def = this.#defs.get(id);
    if (!def)
      throw new Error(
        `spindle internal error: task function #${id} was never defined in this thread`,
      );
    if (def.kind === 'inline') {
      const fn = compileFunction(def.source, def.name, def.origin);
      if (def.source.includes('spindle/task')) {
        this.#taskApiUsers.add(fn);
        this.#anyTaskApiUser = true;
      }
      this.#ready.set(id, fn);
      return fn;
    }
    return undefined;
  }

  /**
   * Whether the function's source names `spindle/task`: its first task may import it after an
   * await, before the API has ever been loaded in this thread.
   */
  usesTaskApi(fn: AnyFunction): boolean {
    return this.#anyTaskApiUser && this.#taskApiUsers.has(fn);
  }

  /** Loads a module export (or compiles an inline function) asynchronously. */
  load(id: number): Promise<AnyFunction> {
    const ready = this.get(id);
    if (ready) return Promise.resolve(ready);
    let loading = this.#loading.get(id);
    if (!loading) {
      const def = this.#defs.get(id) as FunctionDef & { kind: 'module' };
      loading = this.#beforeImport()
        // Loaded with the first task module: the module machinery (and the `node:module`, `fs`
        // and `url` it uses) is not compiled at the start of a thread that only runs inline
        // functions.
        .then(() => import('../run/import-export.js'))
        .then(({ importExport }) => importExport(def))
        .then((fn) => {
          this.#ready.set(id, fn);
          return fn;
        });
      // A failed import is retried by the next task rather than cached for ever.
      loading.catch(() => this.#loading.delete(id));
      this.#loading.set(id, loading);
    }
    return loading;
  }
}
