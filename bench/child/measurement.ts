// What a workload hands back to bench/child.ts: the result, and how to stop its pool. The child
// prints the result first, so a pool that fails to shut down still has its measurement (the
// parent notes the teardown failure).
import type { ChildResult } from '../shared/protocol.js';

export interface Measurement {
  result: ChildResult;
  teardown?: () => Promise<void>;
}
