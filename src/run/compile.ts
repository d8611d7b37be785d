/**
 * Turning a function's source text back into a function, the same way on both sides: the main
 * thread only parses it, once, when the function is first issued (so that a function that can
 * never run in a thread is a TypeError at the call, and none of its code runs on the main
 * thread), and each thread compiles it once for real.
 */
import type { SourceOrigin } from '../protocol/functions.js';

const SUPER = /\bsuper\s*[.([]/;
/** `get x() {…}`, `set [k](v) {…}`: an accessor's source (a method named `get` is `get() {…}`). */
const ACCESSOR = /^(?:get|set)(?:\s+|(?=[["']))(?=[^\s(])/;
const STRICT = '"use strict";';
/** `new Function` puts its body on the third line of the script it makes. */
const BODY_LINE = 3;

/** The two ways a function's source is wrapped: as an expression, or as a method of an object. */
const FORMS = [
  { prefix: 'return (', suffix: '\n);' },
  { prefix: 'return ({ ', suffix: '\n });' },
] as const;
type Form = (typeof FORMS)[number];

function describeTask(name: string): string {
  return `the task function ${name ? `"${name}" ` : ''}`;
}

/**
 * The body of the wrapper for `source`. With an origin, the body is padded so that the function's
 * first character sits at the origin's line and column, and the script is named after the
 * origin's file: a stack frame inside the function then names the user's file and line.
 */
function body(source: string, form: Form, strict: boolean, name: string, origin?: SourceOrigin) {
  const lead = strict ? STRICT : '';
  if (!origin) {
    return `${lead}${form.prefix}${source}${form.suffix}\n//# sourceURL=spindle-task:${name || 'anonymous'}`;
  }
  const newlines = Math.max(0, origin.line - BODY_LINE);
  const used = (newlines > 0 ? 0 : lead.length) + form.prefix.length;
  const pad = ' '.repeat(Math.max(0, origin.column - 1 - used));
  const url = origin.url.replace(/\s/g, encodeURIComponent);
  return `${lead}${'\n'.repeat(newlines)}${pad}${form.prefix}${source}${form.suffix}\n//# sourceURL=${url}`;
}

/**
 * Makes the wrapper function for `source` in `form`: strict first (modern code, ES modules and
 * TypeScript output are strict), sloppy for sources that only parse there (`with`, octal
 * literals). Throws the strict SyntaxError if neither parses.
 */
function wrap(source: string, form: Form, name: string, origin?: SourceOrigin): () => unknown {
  try {
    return new Function(body(source, form, true, name, origin)) as () => unknown;
  } catch (strictError) {
    if (!(strictError instanceof SyntaxError)) throw strictError;
    try {
      return new Function(body(source, form, false, name, origin)) as () => unknown;
    } catch {
      throw strictError;
    }
  }
}

function cannotCompile(name: string, error: unknown): TypeError {
  return new TypeError(
    `Cannot compile ${describeTask(name)}in a worker thread: ${(error as Error).message}. ` +
      'Inline task functions must be self-contained function or arrow expressions; ' +
      'use a task module (fromModule) for anything else.',
  );
}

function accessorError(name: string): TypeError {
  return new TypeError(
    `Cannot run ${describeTask(name)}in a worker thread: it is a getter or setter, not a function ` +
      'to call with arguments. Pass a function, an arrow or a method, or export it from a task module (fromModule).',
  );
}

/** Checks what only a method's source can be: one that uses `super`, or an accessor. */
function checkMethod(source: string, name: string): void {
  if (ACCESSOR.test(source)) throw accessorError(name);
  if (SUPER.test(source)) {
    throw new TypeError(
      `Cannot run ${describeTask(name)}in a worker thread: it is a class method that uses \`super\`, ` +
        'which means nothing outside its class. Export a plain function from a task module (fromModule) instead.',
    );
  }
}

/**
 * On the main thread: throws a TypeError if `source` can never be compiled into a function in a
 * thread. Nothing is evaluated: the source is only parsed (a method's computed name, an
 * accessor's body, never run here).
 */
export function checkFunctionSource(source: string, name: string): void {
  let expressionError: unknown;
  try {
    // `function f() {}`, `async () => {}`, `x => x * 2`…
    wrap(source, FORMS[0], name);
    return;
  } catch (error) {
    expressionError = error;
  }
  try {
    // Method shorthand: `({ scan(host) {…} }).scan.toString()` is `scan(host) {…}`.
    wrap(source, FORMS[1], name);
  } catch {
    throw cannotCompile(name, expressionError);
  }
  checkMethod(source, name);
}

/** In a thread: the function itself, compiled from its source. */
export function compileFunction(
  source: string,
  name: string,
  origin?: SourceOrigin,
): (...args: unknown[]) => unknown {
  let value: unknown;
  let expression: (() => unknown) | undefined;
  let expressionError: unknown;
  try {
    expression = wrap(source, FORMS[0], name, origin);
  } catch (error) {
    expressionError = error;
  }
  if (expression) value = expression();
  else {
    let method: () => unknown;
    try {
      method = wrap(source, FORMS[1], name, origin);
    } catch {
      throw cannotCompile(name, expressionError);
    }
    checkMethod(source, name);
    // The method's own descriptor, never its value read through a getter (that would run it).
    const holder = method() as object;
    const key = Reflect.ownKeys(holder)[0];
    const descriptor =
      key === undefined ? undefined : Reflect.getOwnPropertyDescriptor(holder, key);
    if (descriptor && !('value' in descriptor)) throw accessorError(name);
    value = descriptor?.value;
  }
  if (typeof value !== 'function') {
    throw new TypeError(`${describeTask(name)}did not compile to a function`);
  }
  return value as (...args: unknown[]) => unknown;
}
