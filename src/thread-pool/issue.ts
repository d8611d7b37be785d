/**
 * Argument handling shared by the issuing methods: options objects, chunk sizes, transfer lists,
 * reading a whole input, cutting it into chunks.
 */
import type { MapTransfer, Transferable } from '../options/types.js';
import {
  copyArgs,
  describe,
  expectInteger,
  expectOptionalFunction,
  expectPlainObject,
  isIterable,
  rejectUnknownKeys,
} from '../options/validate.js';

const CALLBACK_KEYS = ['callback', 'errorCallback'];
/** Shared by every call that gives no options: no allocation per task on the hot path. */
const NO_OPTIONS: Record<string, unknown> = Object.freeze({});

/** Each method's list of option names as a Set, made once (calls with options are common). */
const keySets = new WeakMap<string[], Set<string>>();

function knownKeys(allowed: string[]): Set<string> {
  let known = keySets.get(allowed);
  if (known === undefined) {
    known = new Set(allowed);
    keySets.set(allowed, known);
  }
  return known;
}

export function parseOptions(
  what: string,
  value: unknown,
  allowed: string[],
): Record<string, unknown> {
  if (value === undefined || value === null) return NO_OPTIONS;
  const options = expectPlainObject(`${what} options`, value);
  rejectUnknownKeys(what, options, knownKeys(allowed));
  for (const key of CALLBACK_KEYS) {
    if (allowed.includes(key)) expectOptionalFunction(key, options[key]);
  }
  if ('transfer' in options && options.transfer !== undefined) {
    const transfer = options.transfer;
    if (
      !Array.isArray(transfer) &&
      !(allowed.includes('chunksize') && typeof transfer === 'function')
    ) {
      throw new TypeError(
        `Expected \`transfer\` to be an array of transferables, got ${describe(transfer)}`,
      );
    }
  }
  return options;
}

/** `map(fn, items, 4)` or `map(fn, items, { chunksize: 4, … })`. */
export function parseMapArgument(
  what: string,
  value: unknown,
  allowed: string[],
): { chunksize: number | undefined; options: Record<string, unknown> } {
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint') {
    return { chunksize: expectInteger('chunksize', value, 1), options: {} };
  }
  const options = parseOptions(what, value, allowed);
  const chunksize =
    options.chunksize === undefined || options.chunksize === null
      ? undefined
      : expectInteger('chunksize', options.chunksize, 1);
  return { chunksize, options };
}

/** Python's default: `ceil(len / (workers * 4))`. */
export function defaultChunksize(length: number, workers: number): number {
  return Math.max(1, Math.ceil(length / (workers * 4)));
}

export function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export function starmapArguments(item: unknown): unknown[] {
  // Copied, as apply's argument list is: a tuple changed after the call changes nothing.
  if (Array.isArray(item)) return copyArgs(item);
  if (typeof item !== 'string' && isIterable(item)) return Array.from(item);
  throw new TypeError(
    `Expected each starmap item to be an array of arguments, got ${describe(item)}`,
  );
}

/** Reads a whole input. A sync iterable is read at once; an async one on later turns. */
export function readAll(
  input: Iterable<unknown> | AsyncIterable<unknown>,
): unknown[] | Promise<unknown[]> {
  // An array is read as it is: the chunks are cut from it before the call returns, so later
  // changes to it do not matter.
  if (Array.isArray(input)) return input;
  if (isIterable(input)) return Array.from(input);
  return (async () => {
    const items: unknown[] = [];
    for await (const item of input as AsyncIterable<unknown>) items.push(item);
    return items;
  })();
}

/** Picks out, for one chunk, the transferables that its items hold (at the top two levels). */
export function chunkTransfer(
  transfer: MapTransfer<unknown> | undefined,
): ((items: unknown[]) => Transferable[] | undefined) | undefined {
  if (transfer === undefined) return undefined;
  if (typeof transfer === 'function') {
    return (items) => {
      const list: Transferable[] = [];
      for (const item of items) list.push(...transfer(item));
      return list.length > 0 ? list : undefined;
    };
  }
  if (transfer.length === 0) return undefined;
  const wanted = new Set<unknown>(transfer);
  const found = (value: unknown, into: Set<Transferable>): void => {
    if (value === null || typeof value !== 'object') return;
    if (wanted.has(value)) into.add(value as Transferable);
    else if (ArrayBuffer.isView(value) && wanted.has(value.buffer))
      into.add(value.buffer as ArrayBuffer);
  };
  return (items) => {
    const list = new Set<Transferable>();
    for (const item of items) {
      found(item, list);
      if (Array.isArray(item)) for (const value of item) found(value, list);
      else if (item !== null && typeof item === 'object' && !ArrayBuffer.isView(item)) {
        for (const value of Object.values(item)) found(value, list);
      }
    }
    return list.size > 0 ? [...list] : undefined;
  };
}
