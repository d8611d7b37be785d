/**
 * Runs a job's task on the worker's own pool: the same engine as `ThreadPool` (worker threads,
 * task slots), given the task as the client's engine made it (its mode: a call or a chunk, its
 * payload), so a chunk fails item by item as it would on one machine. Only the modules the
 * worker serves run, and inline functions only if it allows them.
 */
import { deserialize } from 'node:v8';
import { CallControl } from '../control/call-control.js';
import type { Engine } from '../engine/engine.js';
import { type Job, SETTLE, Task } from '../engine/task.js';
import type { AnyFunction, ModuleTasks } from '../functions/functions.js';
import { MODE_BITS, type Mode, Outcome, TaskFlags } from '../protocol/messages.js';
import type { JobData, JobFunction } from '../redis/wire.js';

/** A module the worker serves: its reference (what jobs name) and its exports as references. */
export interface ServedTasks {
  reference: string;
  tasks: ModuleTasks<Record<string, AnyFunction>>;
}

export interface RunControl {
  /** Aborting it aborts the task's `signal()` (the client aborted it, or its time ran out). */
  signal: AbortSignal;
  onProgress: ((value: unknown) => void) | undefined;
}

export class LocalRunner {
  readonly #engine: Engine;
  readonly #served: Map<string, ServedTasks>;
  readonly #allowInline: boolean;

  constructor(engine: Engine, served: readonly ServedTasks[], allowInline: boolean) {
    this.#engine = engine;
    this.#served = new Map(served.map((module) => [module.reference, module]));
    this.#allowInline = allowInline;
  }

  /**
   * Runs the job's task on `engine` (the worker's shared pool, or its client's own, see
   * client-pools.ts); resolves with its outcome and value (never rejects).
   */
  run(data: JobData, control: RunControl, engine = this.#engine): Promise<[Outcome, unknown]> {
    let fn: AnyFunction;
    let payload: unknown;
    try {
      fn = this.resolve(data.fn);
      payload = deserialize(Buffer.from(data.payload, 'base64'));
    } catch (error) {
      return Promise.resolve([Outcome.Error, error]);
    }
    return new Promise((resolve) => {
      const job: Job = {
        [SETTLE]: (_task, outcome, value) => resolve([outcome, value]),
      };
      let record: ReturnType<Engine['record']>;
      try {
        record = engine.record(fn);
      } catch (error) {
        resolve([Outcome.Error, error]);
        return;
      }
      const mode = (data.mode & MODE_BITS) as Mode;
      const task = new Task(fn, record, mode, payload, undefined, job, 0);
      const flags = data.mode & ~MODE_BITS;
      const callControl =
        flags === 0
          ? undefined
          : new CallControl(engine, {
              signal: control.signal,
              timeout: Number.POSITIVE_INFINITY,
              onProgress: flags & TaskFlags.Progress ? control.onProgress : undefined,
            });
      callControl?.adopt(task);
      engine.submit(task);
      callControl?.seal();
    });
  }

  /** The function a job names (a task or an initializer): a TypeError if this worker cannot run it. */
  resolve(fn: JobFunction): AnyFunction {
    if ('module' in fn) {
      const served = this.#served.get(fn.module);
      if (!served) {
        const list = [...this.#served.keys()].join(', ') || 'none';
        throw new TypeError(
          `This worker does not serve the task module ${JSON.stringify(fn.module)} (it serves: ${list}): ` +
            'start a spindle worker whose --modules names it (paths are taken relative to each side’s root)',
        );
      }
      return served.tasks[fn.exportName] as AnyFunction;
    }
    if (!this.#allowInline) {
      throw new TypeError(
        `This worker runs no inline functions (got ${fn.name || 'an anonymous function'}): ` +
          'export it from a task module the workers serve, or start them with --allow-inline ' +
          '(whoever can write to the queue then runs code on them)',
      );
    }
    // Allowed by the worker's owner: the source is made a function here, and sent to a thread.
    return new Function(`return (${fn.source});`)() as AnyFunction;
  }

  /** The pool stops: running tasks are cancelled, threads stopped. */
  terminate(): Promise<void> {
    return this.#engine.terminate();
  }

  /** The pool finishes what runs, then its threads exit. */
  close(): Promise<void> {
    this.#engine.close();
    return this.#engine.whenFinished();
  }
}
