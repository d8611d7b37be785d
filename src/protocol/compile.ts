/**
 * Turning a function's source text back into a function, the same way on both sides: the main
 * thread compiles it once when the function is first issued, so that a function that can never
 * run in a thread is a TypeError at the call, and each thread compiles it once for real.
 */

const SUPER = /\bsuper\s*[.([]/;

function evaluate(body: string): unknown {
  try {
    // Modern code (ES modules, TypeScript output) is strict, so compile strict first…
    return new Function(`"use strict";${body}`)();
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // …and fall back to sloppy mode for sources that only parse there (`with`, octal literals).
    return new Function(body)();
  }
}

export function compileFunction(source: string, name: string): (...args: unknown[]) => unknown {
  const label = `\n//# sourceURL=spindle-task:${name || 'anonymous'}`;
  const described = `the task function ${name ? `"${name}" ` : ''}`;
  let value: unknown;
  try {
    // `function f() {}`, `async () => {}`, `x => x * 2`…
    value = evaluate(`return (${source}\n);${label}`);
  } catch (expressionError) {
    let holder: Record<string, unknown>;
    try {
      // Method shorthand: `({ scan(host) {…} }).scan.toString()` is `scan(host) {…}`.
      holder = evaluate(`return ({ ${source}\n });${label}`) as Record<string, unknown>;
    } catch {
      throw new TypeError(
        `Cannot compile ${described}in a worker thread: ${(expressionError as Error).message}. ` +
          'Inline task functions must be self-contained function or arrow expressions; ' +
          'use a task module (fromModule) for anything else.',
      );
    }
    if (SUPER.test(source)) {
      throw new TypeError(
        `Cannot run ${described}in a worker thread: it is a class method that uses \`super\`, ` +
          'which means nothing outside its class. Export a plain function from a task module (fromModule) instead.',
      );
    }
    value = Object.values(holder)[0];
  }
  if (typeof value !== 'function') {
    throw new TypeError(`${described}did not compile to a function`);
  }
  return value as (...args: unknown[]) => unknown;
}
