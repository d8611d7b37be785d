/**
 * Waiting for a result or future to settle. Most results have no waiter or one, so a single
 * waiter is stored as is, and an array is made only for a second one: no allocation per result
 * on the common path. `timedWait` is the one timed wait of the library: every `timeout` of
 * `get`, `wait`, `result`, `exception`, `next`, `wait()` and `asCompleted()` goes through it.
 */
export type Wakers = (() => void) | (() => void)[] | null;

export function addWaker(wakers: Wakers, wake: () => void): Wakers {
  if (wakers === null) return wake;
  if (typeof wakers === 'function') return [wakers, wake];
  wakers.push(wake);
  return wakers;
}

export function removeWaker(wakers: Wakers, wake: () => void): Wakers {
  if (wakers === wake) return null;
  if (Array.isArray(wakers)) {
    const index = wakers.indexOf(wake);
    if (index >= 0) wakers.splice(index, 1);
  }
  return wakers;
}

export function wakeAll(wakers: Wakers): void {
  if (typeof wakers === 'function') wakers();
  else if (wakers) for (const wake of wakers) wake();
}

/**
 * Waits until `subscribe`'s `wake` is called, for at most `ms` milliseconds: 0 does not wait (it
 * times out at once, without subscribing), Infinity sets no timer. Resolves with what `wake` is
 * given, or, once the time is up, with what `timedOut()` returns (or rejects with what it
 * throws). `subscribe` may wake at once; it returns how to unsubscribe, which a timeout calls.
 * The timer is cleared on wake, so a settled wait holds nothing alive.
 */
export function timedWait<T>(
  ms: number,
  subscribe: (wake: (value: T | PromiseLike<T>) => void) => () => void,
  timedOut: () => T | PromiseLike<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (ms <= 0) {
      resolve(timedOut());
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    let woken = false;
    const unsubscribe = subscribe((value) => {
      if (woken) return;
      woken = true;
      if (timer !== undefined) clearTimeout(timer);
      resolve(value);
    });
    if (woken || ms === Number.POSITIVE_INFINITY) return;
    timer = setTimeout(() => {
      if (woken) return;
      woken = true;
      unsubscribe();
      try {
        resolve(timedOut());
      } catch (error) {
        reject(error);
      }
    }, ms);
  });
}
