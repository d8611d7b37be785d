// A TypeScript task module in a CommonJS package: the threads load it with tsx, installed here.
export function triple(x: number): number {
  return x * 3;
}
