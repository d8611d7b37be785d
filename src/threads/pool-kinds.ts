/**
 * Which options and which host kind a pool class runs on. ThreadPool and ThreadPoolExecutor take
 * theirs from here by the class being constructed (`new.target`): a subclass that carries tasks
 * on something else (ProcessPool's child processes) registers its own, and inherits the whole API
 * unchanged. A class not registered (a user's subclass) takes its nearest registered ancestor's.
 */
import type { ResolvedPoolOptions } from '../options/types.js';
import type { HostKind } from './host.js';

export interface PoolKind {
  /** Checks the constructor's argument and fills in the defaults. */
  resolve(input: unknown): ResolvedPoolOptions;
  /** The carriers those options ask for. */
  host(options: ResolvedPoolOptions): HostKind;
}

const kinds = new WeakMap<object, PoolKind>();

export function definePoolKind(poolClass: object, kind: PoolKind): void {
  kinds.set(poolClass, kind);
}

/** The kind of `poolClass` or of its nearest registered ancestor. */
export function poolKindOf(poolClass: object): PoolKind | undefined {
  for (let c: object | null = poolClass; c !== null; c = Object.getPrototypeOf(c)) {
    const kind = kinds.get(c);
    if (kind) return kind;
  }
  return undefined;
}
