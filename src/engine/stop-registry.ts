/**
 * Who must hear, once, that work stopped for good: the engine's when the pool terminates or
 * breaks, an executor's also on `shutdown({ cancelFutures })`. Whoever is reading an input for
 * the pool registers here, so that an input that never yields cannot hold a stop up.
 */

type StopListener = (error: unknown) => void;

export class StopRegistry {
  readonly #listeners = new Set<StopListener>();
  readonly #reportError: (error: unknown) => void;

  /** `reportError` receives what a listener throws: a stop is never cut short by one. */
  constructor(reportError: (error: unknown) => void) {
    this.#reportError = reportError;
  }

  /** `listener` is called once, with the error its waiters should get. Returns the way to leave. */
  add(listener: StopListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls every listener once with `error` and forgets them all. */
  stop(error: unknown): void {
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) {
      try {
        listener(error);
      } catch (listenerError) {
        this.#reportError(listenerError);
      }
    }
  }
}
