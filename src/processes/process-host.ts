/**
 * Child processes as carriers (ProcessPool, ProcessPoolExecutor): the host kind the process
 * classes give their engine. Tasks and values cross as they do to threads (task functions by
 * definition, values by structured clone); each carrier is a forked process running the same task
 * loop as a thread (worker/child-entry.ts).
 */
import { dirname, join } from 'node:path';
import { functionRecord } from '../functions/functions.js';
import type { ResolvedPoolOptions } from '../options/types.js';
import { execArgvForThreads, tsxForThreads } from '../threads/exec-argv.js';
import { type HostKind, mainThread } from '../threads/host.js';
import { findWorkerEntry } from '../threads/worker-entry.js';
import { ChildProcessHandle } from './child-process.js';

/** The child entry ships beside the worker thread's entry (`dist/worker/child.cjs`). */
export const CHILD_ENTRY = 'child.cjs';

/**
 * The Node options a child starts with: the pool's own, as a thread gets them (a TypeScript loader
 * is registered by the child itself when it first imports a task module), plus its heap limit.
 */
function childExecArgv(options: ResolvedPoolOptions): string[] {
  const argv = [...(execArgvForThreads() ?? process.execArgv)];
  const heap = options.resourceLimits?.maxOldGenerationSizeMb;
  if (heap !== undefined) argv.push(`--max-old-space-size=${Math.max(1, Math.round(heap))}`);
  return argv;
}

export const childProcesses: HostKind = {
  carriers: (options) => options.threads,
  start(reports, spec, options) {
    const { initializer, initargs, timings } = options;
    return new ChildProcessHandle(reports, {
      ...spec,
      entry: join(dirname(findWorkerEntry()), CHILD_ENTRY),
      execArgv: childExecArgv(options),
      initializer: initializer ? functionRecord(initializer, 'initializer').def : null,
      initargs,
      typescriptLoader: tsxForThreads(),
      timings,
    });
  },
  record: functionRecord,
  copiesValues: true,
  serializesCalls: true,
  isolated: true,
};

/** The kind a process pool's options ask for: `processes: 0` runs tasks on the main thread. */
export function processHostFor(options: ResolvedPoolOptions): HostKind {
  return options.threads === 0 ? mainThread : childProcesses;
}
