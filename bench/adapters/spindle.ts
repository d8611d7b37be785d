// spindle, as a user writes it: inline task functions (sent to the threads as source once),
// `applyAsync` per task, `map` in bulk (default chunksize), `imap` for lazy input.
//
// spindle is loaded from the package itself (`import 'spindle'` resolves to dist/, built by
// `npm run build`), so the benchmark measures the compiled library as users get it. The types
// below are the slice of the SPEC's API this benchmark uses.
import type { BenchPool, PoolLibrary } from './types.js';

export interface SpindleAsyncResult<R> extends PromiseLike<R> {
  get(timeout?: number): Promise<R>;
}

export interface SpindleCallOptions {
  signal?: AbortSignal;
  timeout?: number;
}

export interface SpindleThreadPool {
  applyAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    args: A,
    options?: SpindleCallOptions,
  ): SpindleAsyncResult<Awaited<R>>;
  apply<A extends unknown[], R>(fn: (...args: A) => R, args: A): Promise<Awaited<R>>;
  map<T, R>(fn: (item: T) => R, items: Iterable<T>, chunksize?: number): Promise<Awaited<R>[]>;
  starmap<A extends unknown[], R>(fn: (...args: A) => R, items: Iterable<A>): Promise<Awaited<R>[]>;
  imap<T, R>(
    fn: (item: T) => R,
    items: Iterable<T> | AsyncIterable<T>,
    chunksize?: number,
  ): AsyncIterableIterator<Awaited<R>>;
  terminate(): Promise<void>;
  join(): Promise<void>;
}

export interface SpindleFuture<R> extends PromiseLike<R> {
  result(timeout?: number): Promise<R>;
}

export interface SpindleExecutor {
  submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): SpindleFuture<Awaited<R>>;
  map<T, R>(fn: (item: T) => R, items: Iterable<T>): AsyncIterableIterator<Awaited<R>>;
  shutdown(options?: { wait?: boolean; cancelFutures?: boolean }): Promise<void>;
}

export interface SpindleModule {
  ThreadPool: new (
    options?: number | { workers?: number; threads?: number; timings?: boolean },
  ) => SpindleThreadPool;
  ProcessPool: new (options?: { workers?: number; processes?: number }) => SpindleThreadPool;
  ThreadPoolExecutor: new (options?: { maxWorkers?: number; threads?: number }) => SpindleExecutor;
  wait<F extends SpindleFuture<unknown>>(
    futures: Iterable<F>,
  ): Promise<{ done: Set<F>; notDone: Set<F> }>;
  asCompleted<F extends SpindleFuture<unknown>>(futures: Iterable<F>): AsyncIterable<F>;
}

/**
 * Imports the built package (a variable specifier keeps `tsc` from needing dist/ to exist), or
 * another build of it by URL (a baseline to compare with).
 */
export async function loadSpindle(url = 'spindle'): Promise<SpindleModule> {
  return (await import(url)) as SpindleModule;
}

const inc = (x: number): number => x + 1;

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export async function load(): Promise<PoolLibrary> {
  const { ThreadPool } = await loadSpindle();
  return {
    bulkApi: 'map',
    create(threads: number): BenchPool {
      const pool = new ThreadPool({ workers: threads, threads });
      return {
        submit: (x) => pool.applyAsync(inc, [x]),
        call: (x) => pool.apply(inc, [x]),
        incAll: (xs) => pool.map(inc, xs),
        fibAll: (ns) => pool.map(fib, ns),
        imapInc: (source) => pool.imap(inc, source),
        destroy: async () => {
          await pool.terminate();
          await pool.join();
        },
      };
    },
  };
}
