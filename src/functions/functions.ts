/**
 * Main-thread side of "how a function reaches a thread": each task function gets a small numeric
 * id and a definition (its source, or a module export) that a thread receives once. Functions
 * with the same source share an id, so a closure-free arrow created anew on every call is still
 * compiled only once per thread.
 */
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe } from '../options/validate.js';
import type { FunctionDef, InlineFunctionDef, ModuleFunctionDef } from '../protocol/functions.js';
import { checkFunctionSource } from '../run/compile.js';
import {
  type CapturedStack,
  calledFunctionName,
  callerSite,
  callerSiteIn,
  captureStack,
  functionOrigin,
} from './call-site.js';

export type AnyFunction = (...args: unknown[]) => unknown;

export interface FunctionRecord {
  readonly id: number;
  readonly def: FunctionDef;
}

const byFunction = new WeakMap<object, FunctionRecord>();
/**
 * Records by source (inline functions) or `url#export` (module references), least recently
 * used first, so that a function object created anew for each call is recognized. Bounded: a
 * program issuing a stream of distinct inline functions must not grow it for ever. A record
 * dropped here lives on with the function objects that use it (`byFunction`); the same source met
 * again gets a new id, and threads forget old ids on their own (see pool/worker-thread.ts).
 */
const bySource = new Map<string, FunctionRecord>();
const byModule = new Map<string, FunctionRecord>();
const REGISTRY_LIMIT = 2048;
const moduleRefs = new WeakMap<object, ModuleFunctionDef>();
let nextId = 1;

function recordFor(
  registry: Map<string, FunctionRecord>,
  key: string,
  make: (id: number) => FunctionRecord,
): FunctionRecord {
  let record = registry.get(key);
  if (record) {
    registry.delete(key);
    registry.set(key, record);
    return record;
  }
  record = make(nextId++);
  registry.set(key, record);
  if (registry.size > REGISTRY_LIMIT) {
    registry.delete(registry.keys().next().value as string);
  }
  return record;
}

/**
 * The record for a task function; throws a TypeError, before anything is issued, for what can
 * never run in a thread.
 */
export function functionRecord(fn: unknown, what = 'fn'): FunctionRecord {
  if (typeof fn !== 'function') throw notAFunction(fn, what);
  const cached = byFunction.get(fn);
  if (cached) return cached;
  const moduleDef = moduleRefs.get(fn);
  let record: FunctionRecord;
  if (moduleDef) {
    record = recordFor(byModule, `${moduleDef.url}#${moduleDef.exportName}`, (id) => ({
      id,
      def: { ...moduleDef, id },
    }));
  } else {
    const source = Function.prototype.toString.call(fn);
    if (/^class\b/.test(source)) {
      throw new TypeError(
        `Expected \`${what}\` to be a function, got class ${fn.name || '(anonymous)'}`,
      );
    }
    if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
      throw new TypeError(
        `\`${what}\` (${fn.name || 'anonymous'}) is a native or bound function, whose source cannot be sent to a worker thread. ` +
          'Wrap it in an arrow function that calls it, or export it from a task module (fromModule).',
      );
    }
    record = recordFor(bySource, source, (id) => {
      // Parsed here once too, so that what can never compile in a thread fails at the call.
      checkFunctionSource(source, fn.name);
      return inlineRecord({ kind: 'inline', id, source, name: fn.name }, captureStack());
    });
  }
  byFunction.set(fn, record);
  return record;
}

/** Records whose origin is still to be read (see inlineRecord). */
const unread = new Set<FunctionRecord>();

/**
 * The record of a new inline function. Once per new source, where it was written (for the stacks
 * of its errors in the threads) is found from the stack of the call, read only when the
 * definition is first needed: formatting the stack and reading the caller's file take a few
 * milliseconds, which would otherwise delay the start of the pool's first thread (it starts
 * before the definition is sent). Read by the end of this turn of the event loop in any case, so
 * that no captured stack is kept.
 */
function inlineRecord(def: InlineFunctionDef, stack: CapturedStack): FunctionRecord {
  let pending: CapturedStack | undefined = stack;
  const record: FunctionRecord = {
    id: def.id,
    get def(): InlineFunctionDef {
      if (pending !== undefined) {
        const site = callerSiteIn(pending);
        pending = undefined;
        unread.delete(record);
        if (site) def.origin = functionOrigin(def.source, site);
      }
      return def;
    },
  };
  if (unread.size === 0) setImmediate(readOrigins).unref();
  unread.add(record);
  return record;
}

function readOrigins(): void {
  for (const record of unread) void record.def;
}

function isThenable(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}

/**
 * The TypeError for a task "function" that is not one. A primitive or a promise in its place
 * usually means the function was called instead of passed (`pool.apply(task())`): say so, with
 * the function's name when the caller's line of source shows it.
 */
function notAFunction(value: unknown, what: string): TypeError {
  const thenable = isThenable(value);
  let shown = describe(value);
  if (thenable) shown = value instanceof Promise ? 'a Promise' : `a thenable (${shown})`;
  if (!thenable && (value === null || value === undefined || typeof value === 'object')) {
    return new TypeError(`Expected \`${what}\` to be a function, got ${shown}`);
  }
  const name = calledFunctionName(callerSite(), what);
  const hint = name ? `pass \`${name}\`, not \`${name}()\`` : 'pass `task`, not `task()`';
  const why = thenable ? '; an async function returns a promise when called' : '';
  return new TypeError(
    `Expected \`${what}\` to be a function, got ${shown} (did you call the function instead of passing it? ${hint}${why})`,
  );
}

/**
 * With `threads: 0` the function itself is called, so anything callable goes (closures, bound
 * and native functions); only module references need their definition.
 */
export function localRecord(fn: unknown, what = 'fn'): FunctionRecord {
  if (typeof fn !== 'function') return functionRecord(fn, what);
  if (moduleRefs.has(fn)) return functionRecord(fn, what);
  if (/^class\b/.test(Function.prototype.toString.call(fn))) return functionRecord(fn, what);
  return LOCAL_RECORD;
}

const LOCAL_RECORD: FunctionRecord = {
  id: 0,
  def: { kind: 'inline', id: 0, source: '', name: '' },
};

/** Is this function a `fromModule()` reference? (Then it is run by importing its module.) */
export function moduleDefOf(fn: object): ModuleFunctionDef | undefined {
  return moduleRefs.get(fn);
}

/** The exported functions of a task module `M`, as references a pool can run. */
export type ModuleTasks<M> = {
  readonly [K in keyof M as M[K] extends (...args: never[]) => unknown ? K : never]: M[K];
};

/** Whether spindle is bundled into the program, rather than loaded from its package. */
function bundledIntoCaller(): boolean {
  return (
    !SELF_FILE ||
    !/[\\/](?:dist[\\/]lib[\\/]spindle|(?:dist|src)[\\/]functions[\\/]functions)\.[cm]?[jt]s$/.test(
      SELF_FILE,
    )
  );
}

/** This file (none in a CommonJS bundle, where `import.meta.url` is undefined). */
const SELF_FILE = import.meta.url ? fileURLToPath(import.meta.url) : undefined;

/**
 * The file of the code that called `fromModule()`, to resolve a relative path against, as
 * `import()` would from that file. JavaScript gives a function no other way to know its caller's
 * module (ES modules have `import.meta.url`, but only for their own file), so the stack is read:
 * once per `fromModule()` call, never per task.
 */
function callerDirectory(): string | undefined {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, fromModule);
  for (const line of (holder.stack ?? '').split('\n').slice(1)) {
    const match = /(?:\(|\s)((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):\d+:\d+\)?\s*$/.exec(line);
    if (!match) continue;
    const file = (match[1] as string).startsWith('file://')
      ? fileURLToPath(match[1] as string)
      : (match[1] as string);
    // The caller's frame comes first (fromModule's own were left out); this module's file is
    // skipped unless spindle is bundled into the caller's file (then it is the caller's too).
    if (file !== SELF_FILE || bundledIntoCaller()) return dirname(file);
  }
  return undefined;
}

function resolveModuleUrl(specifier: string | URL): string {
  if (specifier instanceof URL) return specifier.href;
  if (typeof specifier !== 'string' || specifier === '') {
    throw new TypeError(
      `Expected the task module to be a path string or a URL, got ${describe(specifier)}`,
    );
  }
  if (/^[a-zA-Z][a-zA-Z\d+.-]*:/.test(specifier) && !/^[a-zA-Z]:[\\/]/.test(specifier)) {
    return specifier; // file:, data:, node: … URLs as given.
  }
  if (specifier.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(specifier)) {
    return pathToFileURL(specifier).href;
  }
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    const base = callerDirectory() ?? process.cwd();
    return new URL(specifier, pathToFileURL(`${base}/`)).href;
  }
  return specifier; // A bare package specifier.
}

/**
 * References to the exported functions of a task module, for any pool method that takes a task
 * function. The module is imported once per thread, with its own imports and module state.
 *
 * A relative path string is resolved against the file that calls `fromModule`; an absolute path,
 * a `file:` URL (string or `URL`) or a bare package specifier are taken as they are. A missing
 * module or export fails the first task that uses it, with a message naming both.
 * @typeParam M - The module's type, `typeof import('./tasks.js')`: it types the references.
 * @example
 * ```ts
 * // tasks.ts: export function square(x: number): number { return x * x; }
 * import { fromModule, ThreadPool } from 'spindle';
 * const tasks = fromModule<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url));
 * await using pool = new ThreadPool();
 * const squares: number[] = await pool.map(tasks.square, [1, 2, 3]); // [1, 4, 9]
 * ```
 */
export function fromModule<M = Record<string, (...args: never[]) => unknown>>(
  specifier: string | URL,
): ModuleTasks<M> {
  const url = resolveModuleUrl(specifier);
  const refs = new Map<string, AnyFunction>();
  return new Proxy(Object.create(null) as ModuleTasks<M>, {
    get(_target, key) {
      // Not a thenable, not iterable: only string keys name exports.
      if (typeof key !== 'string' || key === 'then') return undefined;
      let ref = refs.get(key);
      if (!ref) {
        const exportName = key;
        ref = {
          [exportName](): never {
            throw new TypeError(
              `${exportName} is a reference to an export of the task module ${url}: ` +
                'pass it to a pool method (pool.apply, pool.map, executor.submit…) to run it',
            );
          },
        }[exportName] as AnyFunction;
        moduleRefs.set(ref, { kind: 'module', id: 0, url, exportName });
        refs.set(key, ref);
      }
      return ref;
    },
    has(_target, key) {
      return typeof key === 'string' && key !== 'then';
    },
  });
}
