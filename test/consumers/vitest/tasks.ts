// A task module in TypeScript: vitest transforms the tests, not what spindle's threads import.
export function double(x: number): number {
  const by: number = 2;
  return x * by;
}
