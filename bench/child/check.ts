// Guards that a pool really computed the work it was timed on.

/** Sum of `x + 1` for x in 0..n-1. */
export function incSum(n: number): number {
  return (n * (n + 1)) / 2;
}

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

export function expectEqual(what: string, actual: unknown, expected: unknown): void {
  if (actual !== expected)
    throw new Error(`${what}: got ${String(actual)}, expected ${String(expected)}`);
}

export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
