/**
 * Large chunks of plain numbers cross threads as a transferred Float64Array instead of being
 * structured-cloned number by number: `map` over a long numeric list spends most of its time
 * cloning otherwise. Exact for every number (a Float64Array stores JavaScript numbers as they are).
 */

/** Below this, cloning is as cheap as packing. */
const MIN_PACKED = 64;

/** The numbers as a Float64Array, or null when the list is short or holds anything else. */
export function packNumbers(values: ArrayLike<unknown>): Float64Array<ArrayBuffer> | null {
  const n = values.length;
  if (n < MIN_PACKED) return null;
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (typeof value !== 'number') return null;
    packed[i] = value;
  }
  return packed;
}

/** Back to a plain array (a loop: Array.from over a typed array goes through its iterator). */
export function unpackNumbers(packed: Float64Array): number[] {
  const n = packed.length;
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = packed[i] as number;
  return values;
}
