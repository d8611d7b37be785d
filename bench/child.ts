// A measuring child process: `node child.js '<ChildSpec JSON>'` runs one workload for one pool
// and prints its ChildResult on one stdout line after RESULT_MARKER. Loaded modules are only
// the workload's and that pool's, so import time and memory are the pool's own.
import { type ChildResult, type ChildSpec, RESULT_MARKER } from './shared/protocol.js';

interface WorkloadModule {
  run(spec: ChildSpec): Promise<ChildResult>;
}

const spec = JSON.parse(process.argv[2] ?? '') as ChildSpec;
const workload = (await import(`./workloads/${spec.workload}.js`)) as WorkloadModule;
const result = await workload.run(spec);
process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`, () => process.exit(0));
