// An ordered, lazy map for pools without one: at most `window` tasks in flight, results
// yielded in input order, the input pulled only as results are consumed.

export async function* boundedMap<T, R>(
  source: Iterable<T>,
  fn: (item: T) => PromiseLike<R>,
  window: number,
): AsyncGenerator<R> {
  const ring: (PromiseLike<R> | undefined)[] = new Array(window);
  const input = source[Symbol.iterator]();
  let head = 0;
  let size = 0;
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && size < window) {
        const next = input.next();
        if (next.done) exhausted = true;
        else ring[(head + size++) % window] = fn(next.value);
      }
      if (size === 0) return;
      const task = ring[head]!;
      ring[head] = undefined;
      head = (head + 1) % window;
      size--;
      yield await task;
    }
  } finally {
    // Stopped early: stop reading the input and let the tasks in flight settle, so the pool is
    // idle when it is destroyed (piscina 5.3 emits an unhandled 'error' for results that
    // arrive after destroy()).
    input.return?.();
    await Promise.allSettled(ring.filter((task) => task !== undefined));
  }
}
