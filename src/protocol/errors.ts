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

const MAX_CAUSE_DEPTH = 16;

function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

function cloneable(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return typeof value !== 'symbol';
  }
  if (typeof value === 'function') return false;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function builtinName(error: Error): string {
  if (typeof AggregateError === 'function' && error instanceof AggregateError)
    return 'AggregateError';
  for (const [name, ctor] of Object.entries(BUILTIN_ERRORS)) {
    if (Object.getPrototypeOf(error) === ctor.prototype) return name;
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
  return 'Error';
}

export function serializeError(thrown: unknown, depth = 0): WireError {
  if (!isError(thrown)) {
    if (cloneable(thrown)) return { $error: false, value: thrown };
    return {
      $error: true,
      ctor: 'Error',
      name: 'Error',
      message: `A task threw a value that cannot be cloned: ${safeString(thrown)}`,
      stack: undefined,
      props: null,
    };
  }
  let props: Record<string, unknown> | null = null;
  for (const key of Object.keys(thrown)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
    const value = (thrown as unknown as Record<string, unknown>)[key];
    if (cloneable(value)) {
      props ??= {};
      props[key] = value;
    }
  }
  const wire: SerializedError = {
    $error: true,
    ctor: builtinName(thrown),
    name: safeString(thrown.name),
    message: safeString(thrown.message),
    stack: typeof thrown.stack === 'string' ? thrown.stack : undefined,
    props,
  };
  if ('cause' in thrown && depth < MAX_CAUSE_DEPTH) {
    wire.cause = serializeError(thrown.cause, depth + 1);
  }
  if (wire.ctor === 'AggregateError' && depth < MAX_CAUSE_DEPTH) {
    wire.errors = Array.from((thrown as AggregateError).errors ?? [], (e) =>
      serializeError(e, depth + 1),
    );
  }
  return wire;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
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
