// A task module Node can run by stripping its types (no enums, no parameter properties).
export function double(x: number): number {
  const by: number = 2;
  return x * by;
}
