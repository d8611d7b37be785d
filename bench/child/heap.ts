// The main thread's heap after a full collection, to weigh what a number of live objects take.
// Exposing `gc` changes V8's flags for the whole process (threads started later too), so a
// workload imports this module only after its timed part.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

export function heapUsedAfterGc(): number {
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

/**
 * Heap bytes per pending call: `n` calls issued and held (none awaited yet), measured after a
 * full collection against the heap before them. Returns the bytes and the calls to await.
 */
export function heapPerCall<T>(n: number, issue: (i: number) => T): { bytes: number; held: T[] } {
  const held = new Array<T>(n);
  const before = heapUsedAfterGc();
  for (let i = 0; i < n; i++) held[i] = issue(i);
  const after = heapUsedAfterGc();
  return { bytes: (after - before) / n, held };
}

/** The same for bare pending promises, each with its resolver kept (the least a call can hold). */
export function heapPerBarePromise(n: number): number {
  const resolvers = new Array<(value: number) => void>(n);
  const { bytes, held } = heapPerCall(
    n,
    (i) =>
      new Promise<number>((resolve) => {
        resolvers[i] = resolve;
      }),
  );
  for (let i = 0; i < n; i++) resolvers[i]!(i);
  held.length = 0;
  return bytes;
}
