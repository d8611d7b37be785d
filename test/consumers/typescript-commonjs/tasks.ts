// A task module, compiled to CommonJS with the program.
export function double(x: number): number {
  return x * 2;
}
