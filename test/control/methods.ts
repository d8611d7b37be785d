// Every issuing method as one shape, for the control tests: issue `fn` on one argument with
// control options, and get the first result (or rejection) of the call.
import type { ThreadPool, ThreadPoolExecutor } from 'spindle';

export type Issue = (
  target: { pool: ThreadPool; executor: ThreadPoolExecutor },
  fn: (arg: never) => unknown,
  arg: unknown,
  options: { signal?: AbortSignal; timeout?: number },
) => Promise<unknown>;

type AnyTask = (arg: unknown) => unknown;

export const METHODS: Record<string, Issue> = {
  apply: ({ pool }, fn, arg, options) => pool.apply(fn as AnyTask, [arg], options),
  applyAsync: ({ pool }, fn, arg, options) => pool.applyAsync(fn as AnyTask, [arg], options).get(),
  map: ({ pool }, fn, arg, options) => pool.map(fn as AnyTask, [arg], options).then((r) => r[0]),
  mapAsync: ({ pool }, fn, arg, options) =>
    pool
      .mapAsync(fn as AnyTask, [arg], options)
      .get()
      .then((r) => r[0]),
  starmap: ({ pool }, fn, arg, options) =>
    pool.starmap(fn as AnyTask, [[arg]], options).then((r) => r[0]),
  starmapAsync: ({ pool }, fn, arg, options) =>
    pool
      .starmapAsync(fn as AnyTask, [[arg]], options)
      .get()
      .then((r) => r[0]),
  imap: ({ pool }, fn, arg, options) =>
    pool
      .imap(fn as AnyTask, [arg], options)
      .next()
      .then((r) => r.value),
  imapUnordered: ({ pool }, fn, arg, options) =>
    pool
      .imapUnordered(fn as AnyTask, [arg], options)
      .next()
      .then((r) => r.value),
  submitWith: ({ executor }, fn, arg, options) =>
    executor.submitWith(options, fn as AnyTask, arg).result(),
  executorMap: ({ executor }, fn, arg, options) =>
    executor
      .map(fn as AnyTask, [arg], { signal: options.signal })
      .next()
      .then((r) => r.value),
};

/** The methods that take `timeout` as a running-time limit (the executor's map has Python's). */
export const TIMED_METHODS = Object.keys(METHODS).filter((name) => name !== 'executorMap');
