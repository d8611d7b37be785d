/**
 * Whether a value may be too deep for the other side of a child process's IPC channel to read
 * back: Node's channel reads each message in its own reader, where a RangeError from a value
 * nested ~2,000 deep is out of anyone's reach (see worker/ipc-port.ts). Such values cross sealed,
 * serialized and read in a try; sealing every value cost a third of a process pool's rate for
 * small objects (a serializer per value), so a value is looked at first.
 *
 * A walk of at most WALK_BUDGET objects: deeper than SAFE_DEPTH, or too large to walk, it may be
 * deep (a large value's sealing costs little beside its own size); a walk that ends within both
 * is shallow. Only own enumerable properties are read, as the serializer reads them; a getter that
 * throws makes it "may be deep" (the serializer then says why it cannot send it).
 */

/** Far below the ~2,000 levels a process's stack can read back. */
const SAFE_DEPTH = 256;
/** Objects walked at most before a value is taken as large. */
const WALK_BUDGET = 1024;

export function mayBeDeep(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const values: unknown[] = [value];
  const depths: number[] = [1];
  let walked = 0;
  try {
    while (values.length > 0) {
      const current = values.pop() as object;
      const depth = depths.pop() as number;
      if (depth > SAFE_DEPTH || ++walked > WALK_BUDGET) return true;
      if (ArrayBuffer.isView(current) || current instanceof Date || current instanceof RegExp) {
        continue;
      }
      if (current instanceof ArrayBuffer) continue;
      if (current instanceof Map || current instanceof Set) {
        for (const entry of current instanceof Map ? current.entries() : current.values()) {
          if (typeof entry === 'object' && entry !== null) {
            values.push(entry);
            depths.push(depth + 1);
          }
        }
        continue;
      }
      if (Array.isArray(current)) {
        for (let i = 0; i < current.length; i++) {
          const item: unknown = current[i];
          if (typeof item === 'object' && item !== null) {
            values.push(item);
            depths.push(depth + 1);
          }
        }
        continue;
      }
      for (const key of Object.keys(current)) {
        const item: unknown = (current as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(depth + 1);
        }
      }
    }
  } catch {
    return true;
  }
  return false;
}
