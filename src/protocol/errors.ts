/**
 * Errors cross threads as plain data and are rebuilt on the other side with their class (for the
 * built-in ones), name, message, stack, `code` and other own data properties, and `cause` chain.
 * The structured clone algorithm alone would drop `code`, custom properties and subclass names.
 */
import { types } from 'node:util';

export interface SerializedError {
  $error: true;
  /** Built-in constructor to rebuild with (`TypeError`, …); `Error` for everything else. */
  ctor: string;
  name: string;
  message: string;
  stack: string | undefined;
  /** Own enumerable data properties other than name/message/stack/cause (`code`, `errno`, …). */
  props: Record<string, unknown> | null;
  cause?: WireError;
  /** The `errors` of an AggregateError. */
  errors?: WireError[];
}

/** A thrown value that is not an Error travels as itself when it can be cloned. */
export interface ThrownValue {
  $error: false;
  value: unknown;
}

export type WireError = SerializedError | ThrownValue;

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** How deep a `cause`/`errors` graph is followed. */
const MAX_DEPTH = 16;
/** How many errors (and thrown values) one serialization may visit in all. */
const MAX_NODES = 128;
/** How many own properties of one error are copied. */
const MAX_PROPS = 64;

// Captured once: a task may replace globals of its thread, and the serializer must still work.
const clone = structuredClone;
const ownKeys = Object.keys;
const isNative = types.isNativeError;
const isProxy = types.isProxy;
const getPrototypeOf = Object.getPrototypeOf;
const objectToString = Object.prototype.toString;
const call = Function.prototype.call.bind(Function.prototype.call) as (
  fn: unknown,
  self: unknown,
  ...args: unknown[]
) => unknown;

/** What a walk of one thrown value has used up: errors already seen, and how many more it may visit. */
interface Walk {
  seen: Set<object>;
  left: number;
}

/** A read that cannot throw: the value, or a placeholder saying why it could not be read. */
type Read = { ok: true; value: unknown } | { ok: false; placeholder: string };

function read(target: object, key: string): Read {
  try {
    return { ok: true, value: (target as Record<string, unknown>)[key] };
  } catch (thrown) {
    return { ok: false, placeholder: `[unreadable: getter threw ${describeThrown(thrown)}]` };
  }
}

function isError(value: unknown): value is Error {
  if (value === null || typeof value !== 'object') return false;
  if (isNative(value)) return true;
  try {
    return value instanceof Error;
  } catch {
    return false; // A Proxy whose getPrototypeOf trap throws.
  }
}

function cloneable(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return typeof value !== 'symbol';
  }
  if (typeof value === 'function') return false;
  try {
    clone(value);
    return true;
  } catch {
    return false;
  }
}

function builtinName(error: Error): string {
  try {
    if (typeof AggregateError === 'function' && error instanceof AggregateError)
      return 'AggregateError';
    const proto = getPrototypeOf(error);
    for (const name in BUILTIN_ERRORS) {
      if (proto === (BUILTIN_ERRORS[name] as ErrorConstructor).prototype) return name;
    }
    // Subclasses of built-ins keep the closest built-in class for `instanceof`.
    for (const name of [
      'TypeError',
      'RangeError',
      'SyntaxError',
      'ReferenceError',
      'EvalError',
      'URIError',
    ]) {
      if (error instanceof (BUILTIN_ERRORS[name] as ErrorConstructor)) return name;
    }
  } catch {
    // A Proxy whose traps throw: a plain Error is all that can be said.
  }
  return 'Error';
}

function plain(message: string, name = 'Error'): SerializedError {
  return { $error: true, ctor: 'Error', name, message, stack: undefined, props: null };
}

/**
 * The wire form of a thrown value. Total and bounded: it never throws and never loops, whatever
 * the value (getters that throw, Proxies with throwing traps, cyclic `cause` or `errors` graphs);
 * what it cannot read becomes a placeholder in the error the caller gets.
 */
export function serializeError(thrown: unknown): WireError {
  try {
    return serializeValue(thrown, { seen: new Set(), left: MAX_NODES }, 0);
  } catch (unexpected) {
    return plain(`A task threw a value that could not be read: ${describeThrown(unexpected)}`);
  }
}

function serializeValue(thrown: unknown, walk: Walk, depth: number): WireError {
  walk.left--;
  if (!isError(thrown)) {
    if (!isProxy(thrown) && cloneable(thrown)) return { $error: false, value: thrown };
    return plain(`A task threw a value that cannot be cloned: ${safeString(thrown)}`);
  }
  if (walk.seen.has(thrown)) return plain('[circular: an error already reported above]');
  walk.seen.add(thrown);
  const name = read(thrown, 'name');
  const message = read(thrown, 'message');
  const stack = read(thrown, 'stack');
  const wire: SerializedError = {
    $error: true,
    ctor: builtinName(thrown),
    name: name.ok ? safeString(name.value) : 'Error',
    message: message.ok ? safeString(message.value) : message.placeholder,
    stack: stack.ok && typeof stack.value === 'string' ? stack.value : undefined,
    props: null,
  };
  if (!name.ok) wire.props = { name: name.placeholder };
  let keys: string[] = [];
  try {
    keys = ownKeys(thrown);
  } catch (trapError) {
    wire.props ??= {};
    wire.props.ownKeys = `[unreadable: ownKeys threw ${describeThrown(trapError)}]`;
  }
  let copied = 0;
  for (const key of keys) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
    if (key === '__proto__') continue;
    if (++copied > MAX_PROPS) break;
    const value = read(thrown, key);
    if (!value.ok) {
      wire.props ??= {};
      wire.props[key] = value.placeholder;
    } else if (cloneable(value.value)) {
      wire.props ??= {};
      wire.props[key] = value.value;
    }
  }
  if (depth >= MAX_DEPTH || walk.left <= 0) return wire;
  let hasCause = false;
  try {
    hasCause = 'cause' in thrown;
  } catch {
    // A Proxy whose `has` trap throws: as if it had no cause.
  }
  if (hasCause) {
    const cause = read(thrown, 'cause');
    wire.cause = cause.ok ? serializeValue(cause.value, walk, depth + 1) : plain(cause.placeholder);
  }
  if (wire.ctor === 'AggregateError') {
    const errors = read(thrown, 'errors');
    if (!errors.ok) wire.errors = [plain(errors.placeholder)];
    else wire.errors = serializeList(errors.value, walk, depth + 1);
  }
  return wire;
}

/** The `errors` of an AggregateError, read by index (never through an iterator that may not end). */
function serializeList(list: unknown, walk: Walk, depth: number): WireError[] {
  const out: WireError[] = [];
  try {
    if (!Array.isArray(list)) return out;
    const n = list.length;
    for (let i = 0; i < n; i++) {
      if (walk.left <= 0) {
        out.push(plain(`[${n - i} more errors not shown]`));
        break;
      }
      const item = read(list, String(i));
      out.push(item.ok ? serializeValue(item.value, walk, depth) : plain(item.placeholder));
    }
  } catch (thrown) {
    out.push(plain(`[unreadable: errors threw ${describeThrown(thrown)}]`));
  }
  return out;
}

/** "TypeError: boom", without ever throwing. */
function describeThrown(thrown: unknown): string {
  if (isError(thrown)) {
    const name = read(thrown, 'name');
    const message = read(thrown, 'message');
    const head = name.ok ? safeString(name.value) : 'Error';
    return message.ok ? `${head}: ${safeString(message.value)}` : head;
  }
  return safeString(thrown);
}

function safeString(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch {
    try {
      return call(objectToString, value) as string;
    } catch {
      return `[${typeof value}]`;
    }
  }
}

function defineHidden(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

export function deserializeError(wire: WireError): unknown {
  if (!wire.$error) return wire.value;
  let error: Error;
  if (wire.ctor === 'AggregateError') {
    error = new AggregateError((wire.errors ?? []).map(deserializeError), wire.message);
  } else {
    const Ctor = BUILTIN_ERRORS[wire.ctor] ?? Error;
    error = new Ctor(wire.message);
  }
  if (error.name !== wire.name) defineHidden(error, 'name', wire.name);
  if (wire.stack !== undefined) defineHidden(error, 'stack', wire.stack);
  if (wire.props) Object.assign(error, wire.props);
  if (wire.cause !== undefined) defineHidden(error, 'cause', deserializeError(wire.cause));
  return error;
}
