// Loads the adapter of one Node.js pool by name, importing only that pool's library.
import type { PoolAdapter, PoolLibrary } from '../adapters/types.js';
import { NODE_POOLS, type NodePool, type Participant, PROCESS_POOLS } from '../shared/protocol.js';

export function isNodePool(name: Participant): name is NodePool {
  return (NODE_POOLS as readonly string[]).includes(name);
}

export async function loadPool(name: Participant): Promise<PoolLibrary> {
  if (!isNodePool(name)) throw new Error(`${name} is not a Node.js pool`);
  const adapter = (await import(`../adapters/${name}.js`)) as PoolAdapter;
  return adapter.load();
}

/** Loads the process-mode adapter of one pool; `create(n)` gives it n child processes. */
export async function loadProcessPool(name: Participant): Promise<PoolLibrary> {
  if (!(PROCESS_POOLS as readonly string[]).includes(name)) {
    throw new Error(`${name} has no process pool in this benchmark`);
  }
  const adapter = (await import(`../adapters/processes/${name}.js`)) as PoolAdapter;
  return adapter.load();
}
