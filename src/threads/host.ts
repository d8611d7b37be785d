/**
 * The kinds of carrier a pool can run its tasks on, chosen once when its engine is built (as
 * CPython's ThreadPool differs from Pool by the seams it overrides, not by flags). A kind says how
 * many carriers there may be, how to start one, how a task function is registered for it, and
 * what crossing to it means for values and errors.
 */

import {
  type AnyFunction,
  type FunctionRecord,
  functionRecord,
  localRecord,
  moduleDefOf,
} from '../functions/functions.js';
import type { ResolvedPoolOptions } from '../options/types.js';
import { type BackendKit, hostMakerOf } from './backend.js';
import { LocalThread } from './local-thread.js';
import type { ThreadHandle, ThreadReports, ThreadSpec } from './thread-handle.js';
import { WorkerThread } from './worker-thread.js';

export interface HostKind {
  /** How many carriers the pool may have at most. */
  carriers(options: ResolvedPoolOptions): number;
  /** Starts a carrier (throws if it cannot be made, e.g. uncloneable `initargs`). */
  start(reports: ThreadReports, spec: ThreadSpec, options: ResolvedPoolOptions): ThreadHandle;
  /** The record of a task function: a TypeError, before anything is issued, for what it cannot run. */
  record(fn: unknown, what?: string): FunctionRecord;
  /** Values cross by copy (so they are captured when the call is made), not by reference. */
  readonly copiesValues: boolean;
  /**
   * A call's arguments are captured serialized, as a chunk's items are, rather than cloned: the
   * carrier's channel would serialize them anyway, and what it could not read back on the other
   * side would end that side (a child process's IPC channel), where a serialized payload fails
   * its own task (see engine/capture.ts).
   */
  readonly serializesCalls?: boolean;
  /**
   * Task functions run in another isolate, where the caller's variables are not: a ReferenceError
   * from an inline function most likely names one of them.
   */
  readonly isolated: boolean;
}

/** Worker threads: one V8 isolate each, tasks and values sent by message. */
export const workerThreads: HostKind = {
  carriers: (options) => options.threads,
  start(reports, spec, options) {
    const { initializer, initargs, resourceLimits, workerEntry, timings } = options;
    return new WorkerThread(reports, {
      ...spec,
      initializer: initializer ? functionRecord(initializer, 'initializer').def : null,
      initargs,
      resourceLimits,
      workerEntry,
      timings,
    });
  },
  record: functionRecord,
  copiesValues: true,
  isolated: true,
};

/** The main thread's own event loop (`threads: 0`, Python's `multiprocessing.dummy`). */
export const mainThread: HostKind = {
  carriers: () => 1,
  start(reports, spec, options) {
    return new LocalThread(
      reports,
      spec,
      options.initializer as AnyFunction | undefined,
      options.initargs,
      options.timings,
    );
  },
  record: localRecord,
  copiesValues: false,
  isolated: false,
};

/** What a backend bundled apart takes from this copy of spindle (see backend.ts). */
const KIT: BackendKit = {
  functionRecord,
  isModuleReference: (fn) => moduleDefOf(fn) !== undefined,
};

/** The kind the options ask for. */
export function hostKindFor(options: ResolvedPoolOptions): HostKind {
  if (options.backend) return (hostMakerOf(options.backend) as (kit: BackendKit) => HostKind)(KIT);
  return options.threads === 0 ? mainThread : workerThreads;
}
