/**
 * The callbacks waiting for a result or future to settle. Most results have none or one, so a
 * single waiter is stored as is, and an array is made only for a second one: no allocation per
 * result on the common path.
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
