// Task functions for piscina and tinypool: one named export per task, chosen with `{ name }`.
// The same bodies as the inline functions the spindle adapter sends (bench/adapters/spindle.ts).

export function inc(x) {
  return x + 1;
}

export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
