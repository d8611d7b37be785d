// Loads the adapter of one Node.js pool by name, importing only that pool's library.
import type { PoolAdapter, PoolLibrary } from '../adapters/types.js';
import { NODE_POOLS, type NodePool, type Participant } from '../shared/protocol.js';

export function isNodePool(name: Participant): name is NodePool {
  return (NODE_POOLS as readonly string[]).includes(name);
}

export async function loadPool(name: Participant): Promise<PoolLibrary> {
  if (!isNodePool(name)) throw new Error(`${name} is not a Node.js pool`);
  const adapter = (await import(`../adapters/${name}.js`)) as PoolAdapter;
  return adapter.load();
}
