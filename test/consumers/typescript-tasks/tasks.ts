// A task module in TypeScript, which imports another TypeScript file by its `.js` name.
import { scale } from './scale.js';

export function double(x: number): number {
  return scale(x, 2);
}
