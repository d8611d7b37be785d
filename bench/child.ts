// A measuring child process: `node child.js '<ChildSpec JSON>'` runs one workload for one pool
// and prints its ChildResult on one stdout line after RESULT_MARKER, then stops the pool. Loaded
// modules are only the workload's and that pool's, so import time and memory are the pool's own.
import type { Measurement } from './child/measurement.js';
import { type ChildSpec, RESULT_MARKER, TEARDOWN_MARKER } from './shared/protocol.js';

interface WorkloadModule {
  run(spec: ChildSpec): Promise<Measurement>;
}

const TEARDOWN_TIMEOUT_MS = 10_000;

function print(line: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${line}\n`, () => resolve()));
}

/** Stops the pool; a failure or a hang is reported on stdout (the result is already out). */
async function teardown(stop: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`did not finish within ${TEARDOWN_TIMEOUT_MS / 1000} s`)),
      TEARDOWN_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([stop(), timeout]);
    return true;
  } catch (error) {
    await print(`${TEARDOWN_MARKER}${error instanceof Error ? error.message : String(error)}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const spec = JSON.parse(process.argv[2] ?? '') as ChildSpec;
const workload = (await import(`./workloads/${spec.workload}.js`)) as WorkloadModule;
const { result, teardown: stop } = await workload.run(spec);
await print(`${RESULT_MARKER}${JSON.stringify(result)}`);
const stopped = stop === undefined || (await teardown(stop));
process.exit(stopped ? 0 : 1);
