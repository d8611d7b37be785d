// The task module the `spindle worker` processes of bench/redis/run.ts serve (and the BullMQ
// worker calls directly): a trivial task, and a CPU-bound one.
export function square(x) {
  return x * x;
}

/** How many primes lie in [from, to): about 30 ms for a range of 100,000 near 1e6. */
export function countPrimes([from, to]) {
  let count = 0;
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
