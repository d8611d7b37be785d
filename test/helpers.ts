import { createHook } from 'node:async_hooks';
import { setTimeout as delay } from 'node:timers/promises';

export { delay };

/** Every test gets a hard timeout, so a hang fails the test instead of the suite. */
export const T = { timeout: 30_000 };

/** Awaits a promise expected to reject, returning the rejection reason. */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** A sync generator that records how far it was read, and throws at `throwAt` if given. */
export function* counting(state: { read: number }, limit = Number.POSITIVE_INFINITY, throwAt = -1) {
  for (let i = 0; i < limit; i++) {
    if (i === throwAt) throw new Error(`input failed at ${i}`);
    state.read = i + 1;
    yield i;
  }
}

/** Counts live Worker handles (Node 20's getActiveResourcesInfo does not list them). */
export function workerTracker(): { live(): number; settle(expected: number): Promise<number> } {
  const live = new Set<number>();
  createHook({
    init(id, type) {
      if (type === 'WORKER') live.add(id);
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  return {
    live: () => live.size,
    async settle(expected) {
      for (let i = 0; i < 100 && live.size !== expected; i++) await delay(20);
      return live.size;
    },
  };
}
