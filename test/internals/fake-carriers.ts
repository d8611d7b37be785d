// The engine and its scheduler over carriers faked here (no threads): the test says which of the
// tasks sent to a carrier have started, when they finish and when a stopped carrier exits, so
// that any order of events a real carrier can produce can be made to happen, every time.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { CallControl } from '../../src/control/call-control.js';
import { Engine } from '../../src/engine/engine.js';
import { type Job, SETTLE, Task } from '../../src/engine/task.js';
import { functionRecord } from '../../src/functions/functions.js';
import { resolvePoolOptions } from '../../src/options/resolve.js';
import type { ThreadPoolOptions } from '../../src/options/types.js';
import { Mode, Outcome } from '../../src/protocol/messages.js';
import type { HostKind } from '../../src/threads/host.js';
import {
  ThreadHandle,
  type ThreadReports,
  type ThreadSpec,
  ThreadState,
} from '../../src/threads/thread-handle.js';

export class FakeCarrier extends ThreadHandle {
  override readonly takesTasksWhileStarting: boolean;
  readonly #reports: ThreadReports;
  /** Every task up to this seq has started. */
  startedUpTo = 0;
  /** What the engine last said through setBusy: whether this carrier holds the process. */
  busy = true;
  /** stop() was called: the test decides when it exits (see exit). */
  stopRequested = false;
  /** Tasks it refuses to send, as a thread does one whose arguments cannot be cloned. */
  readonly #unsendable: ReadonlySet<Task>;

  constructor(
    reports: ThreadReports,
    spec: ThreadSpec,
    unsendable: ReadonlySet<Task>,
    takesTasksWhileStarting: boolean,
  ) {
    super(spec);
    this.#reports = reports;
    this.#unsendable = unsendable;
    this.takesTasksWhileStarting = takesTasksWhileStarting;
  }

  send(tasks: Task[]): void {
    for (const task of tasks) {
      if (this.#unsendable.has(task)) {
        this.#reports.taskFailed(this, task, new Error('cannot be sent'));
        continue;
      }
      this.track(task, this.nextSeq++);
    }
    if (this.outstanding.size > 0) this.setBusy(true);
  }
  override setBusy(busy: boolean): void {
    this.busy = busy;
  }
  unstarted(): number {
    return this.outstanding.size - this.running();
  }
  hasStarted(task: Task): boolean {
    return task.thread === this && task.seq <= this.startedUpTo;
  }
  running(): number {
    let count = 0;
    for (const seq of this.outstanding.keys()) if (seq <= this.startedUpTo) count++;
    return count;
  }
  syncRunning(): number {
    return 0;
  }
  lastTaskLong(): boolean {
    return false;
  }
  revokeUnstarted(): Task[] {
    const taken = [...this.outstanding.values()].filter((task) => task.seq > this.startedUpTo);
    this.untrack(taken);
    return taken;
  }
  /** Whether a stopped carrier exits a turn later by itself; if not, the test calls exit(). */
  exitAtOnce = true;

  /** Stops as a worker thread does: busy until it has exited. */
  stop(): Promise<void> {
    this.state = ThreadState.Stopping;
    this.setBusy(true);
    if (!this.stopRequested && this.exitAtOnce) {
      setImmediate(() => this.exit());
    }
    this.stopRequested = true;
    return Promise.resolve();
  }
  /** The carrier exits (what a stopped one does when the test says so). */
  exit(code = 1): void {
    this.#reports.threadExited(this, code, undefined);
  }
  abortTask(): void {}

  /** What it was sent has started. */
  startAll(): void {
    this.startedUpTo = this.nextSeq - 1;
  }
  /** The task returned `value`. */
  finish(task: Task, value: unknown): void {
    this.#reports.threadResults(this, [task.seq, Outcome.Ok, value]);
  }
  /** A batch from the carrier with nothing it holds in it (a result for a seq it no longer has). */
  reportNothingOfItsOwn(): void {
    this.#reports.threadResults(this, [this.nextSeq + 1000, Outcome.Ok, 0]);
  }
}

/**
 * An engine over fake carriers, with the options given (threads: 2 unless said).
 * `takesTasksWhileStarting`: the carriers are sent tasks before they are ready, as worker threads
 * are (child processes are not).
 */
export function fakePool(options: ThreadPoolOptions, takesTasksWhileStarting = false) {
  const carriers: FakeCarrier[] = [];
  /** Tasks no carrier can send (their arguments cannot be cloned, say). */
  const unsendable = new Set<Task>();
  const host: HostKind = {
    carriers: (resolved) => resolved.threads,
    start(reports, spec) {
      const carrier = new FakeCarrier(reports, spec, unsendable, takesTasksWhileStarting);
      carriers.push(carrier);
      return carrier;
    },
    record: functionRecord,
    copiesValues: false,
    isolated: true,
  };
  const resolved = resolvePoolOptions({ threads: 2, ...options });
  const engine = new Engine(resolved, (error) => assert.fail(String(error)), undefined, host);
  const settled = new Map<Task, unknown>();
  const job: Job = { [SETTLE]: (task, outcome, value) => settled.set(task, [outcome, value]) };
  const fn = (x: unknown) => x;
  const record = functionRecord(fn);
  const submit = (signal?: AbortSignal, cannotBeSent = false): Task => {
    const task = new Task(fn, record, Mode.Call, [0], undefined, job, 0);
    if (cannotBeSent) unsendable.add(task);
    if (signal) {
      const control = new CallControl(engine, {
        signal,
        timeout: Number.POSITIVE_INFINITY,
        onProgress: undefined,
      });
      control.adopt(task);
      engine.submit(task);
      control.seal();
    } else engine.submit(task);
    return task;
  };
  /** Lets the engine pump (it does so on a microtask). */
  const turn = () => delay(0);
  /** Runs one task through a carrier started for it (ready, task done); returns the carrier. */
  const warmCarrier = async (): Promise<FakeCarrier> => {
    const task = submit();
    await turn();
    const carrier = carriers[carriers.length - 1] as FakeCarrier;
    engine.threadReady(carrier);
    await turn();
    carrier.startAll();
    carrier.finish(task, 0);
    await turn();
    return carrier;
  };
  return { engine, carriers, submit, settled, turn, warmCarrier };
}
