/**
 * The checks every public entry runs synchronously before it touches any state. Messages say
 * what was expected and what was received ("Expected `chunksize` to be an integer greater than 0,
 * got `-1` (number)").
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** "`-1` (number)": how a received value is shown in error messages. */
export function describe(value: unknown): string {
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value);
  else if (typeof value === 'function') shown = value.name ? `function ${value.name}` : 'function';
  else if (typeof value === 'bigint') shown = `${value}n`;
  else if (typeof value === 'symbol') shown = value.toString();
  else if (value === null || typeof value !== 'object') shown = String(value);
  else if (Array.isArray(value)) shown = `array of ${value.length}`;
  else if (value.constructor === Object || value.constructor === undefined) shown = 'plain object';
  else shown = value.constructor.name ? `${value.constructor.name} object` : 'object';
  const type = value === null ? 'null' : typeof value;
  return `\`${shown}\` (${type})`;
}

export function expectInteger(what: string, value: unknown, min: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${what}\` to be an integer >= ${min}, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`Expected \`${what}\` to be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

export function optionalInteger(what: string, value: unknown, min: number): number | undefined {
  return value === undefined ? undefined : expectInteger(what, value, min);
}

/**
 * Timeouts are milliseconds: a non-negative integer, or `Infinity`. `undefined` and `null`
 * mean "wait for ever"; `0` means "do not wait".
 */
/**
 * The longest delay a Node.js timer takes (about 24.8 days): past it, setTimeout() fires after
 * 1 ms instead. Longer timeouts mean "no timeout".
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A timeout argument in milliseconds: a non-negative integer or Infinity (undefined and null mean
 * Infinity, no timeout). Past MAX_TIMER_MS it is Infinity too.
 */
export function expectTimeout(what: string, value: unknown): number {
  if (value === undefined || value === null || value === Number.POSITIVE_INFINITY) {
    return Number.POSITIVE_INFINITY;
  }
  const expected = `Expected \`${what}\` to be a non-negative integer number of milliseconds or Infinity, got ${describe(value)}`;
  if (typeof value !== 'number') throw new TypeError(expected);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(expected);
  return value > MAX_TIMER_MS ? Number.POSITIVE_INFINITY : value;
}

/** A path (relative to the working directory) or a `file:` URL, as an absolute path; throws if it is neither. */
export function filePath(named: string | URL): string {
  if (named instanceof URL || /^file:/i.test(named)) return fileURLToPath(named);
  return resolve(named);
}

export function expectFunction(what: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new TypeError(`Expected \`${what}\` to be a function, got ${describe(value)}`);
  }
}

export function expectOptionalFunction(what: string, value: unknown): void {
  if (value !== undefined && value !== null) expectFunction(what, value);
}

export function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    value !== undefined &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  );
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    value !== undefined &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

export function expectIterable(what: string, value: unknown, allowAsync: boolean): void {
  if (isIterable(value) || (allowAsync && isAsyncIterable(value))) return;
  const kind = allowAsync ? 'an iterable or async iterable' : 'an iterable';
  throw new TypeError(`Expected \`${what}\` to be ${kind}, got ${describe(value)}`);
}

/** Objects that hold their data in internal slots: as options they would read as empty. */
function isBuiltinValue(value: object): boolean {
  return (
    value instanceof Map ||
    value instanceof Set ||
    value instanceof WeakMap ||
    value instanceof WeakSet ||
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Promise ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  );
}

export function expectPlainObject(what: string, value: unknown): Record<string, unknown> {
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    isBuiltinValue(value)
  ) {
    throw new TypeError(`Expected \`${what}\` to be an options object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function rejectUnknownKeys(
  what: string,
  options: Record<string, unknown>,
  known: Set<string>,
): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new TypeError(
        `Unknown option \`${key}\` for ${what}; expected one of: ${[...known].join(', ')}`,
      );
    }
  }
}

export function expectArgsArray(what: string, value: unknown): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new TypeError(`Expected \`${what}\` to be an array of arguments, got ${describe(value)}`);
  }
  return value;
}

const NO_ARGS: readonly unknown[] = Object.freeze([]);

/**
 * A copy of an argument list, element by element, so that changing the caller's array after the
 * call changes nothing (the map forms copy their items the same way). Reading it runs the
 * caller's code when the array is a Proxy or has getters, and that code may throw: the caller
 * decides what a throw means (the call fails with it).
 */
export function copyArgs(args: readonly unknown[]): unknown[] {
  // A plain indexed read: `slice()` or `Array.from()` would consult `Symbol.species` or the
  // iterator, both of which a subclass or the caller can replace.
  const length = args.length;
  if (length === 0) return NO_ARGS as unknown[];
  const copy = new Array<unknown>(length);
  for (let i = 0; i < length; i++) copy[i] = args[i];
  return copy;
}

export function expectSignal(value: unknown): AbortSignal {
  if (!(value instanceof AbortSignal)) {
    throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${describe(value)}`);
  }
  return value;
}

/**
 * A duration option in milliseconds (`timeout`, `abortGrace`): a non-negative finite number.
 * Past MAX_TIMER_MS (about 24.8 days, the longest a Node.js timer waits) it is Infinity: none.
 */
export function expectDuration(what: string, value: unknown): number {
  // The message is made only to be thrown: a timeout on every call checks this every time.
  if (typeof value !== 'number') throw new TypeError(durationExpected(what, value));
  if (!Number.isFinite(value) || value < 0) throw new RangeError(durationExpected(what, value));
  return value > MAX_TIMER_MS ? Number.POSITIVE_INFINITY : value;
}

function durationExpected(what: string, value: unknown): string {
  return `Expected \`${what}\` to be a non-negative finite number of milliseconds, got ${describe(value)}`;
}
