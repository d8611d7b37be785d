// The common face of every pool under test. One adapter module per pool exports `load()`,
// which imports the library (so the startup workload can time the import on its own) and
// returns a factory for pools of a given thread count.

export interface BenchPool {
  /** One `x + 1` task through the pool's single-task, fire-and-collect API (spindle: `applyAsync`). */
  submit(x: number): PromiseLike<number>;
  /** One `x + 1` task, awaited by the caller before the next (spindle: `apply`). */
  call(x: number): Promise<number>;
  /** `x + 1` over a whole array through the pool's closest bulk API. */
  incAll(xs: number[]): Promise<number[]>;
  /** `fib(n)` over a whole array through the same bulk API. */
  fibAll(ns: number[]): Promise<number[]>;
  /** A lazy, ordered `x + 1` over an iterable, when the pool has one (spindle: `imap`). */
  imapInc?(source: Iterable<number>): AsyncIterable<number>;
  /** Stops the pool's threads. */
  destroy(): Promise<void>;
}

export interface PoolLibrary {
  /** What `incAll`/`fibAll` use, for the report's notes. */
  readonly bulkApi: string;
  create(threads: number): BenchPool;
}

export interface PoolAdapter {
  load(): Promise<PoolLibrary>;
}
