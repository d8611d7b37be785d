export const scale = (x: number, by: number): number => x * by;
