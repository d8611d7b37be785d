// The engine and its scheduler around an aborted task in its abortGrace, over carriers faked
// here (no threads): the test says which of the tasks sent to a carrier have started, so that a
// task can stay "on its way" to a carrier as long as the test needs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { CallControl } from '../../src/control/call-control.js';
import { Engine } from '../../src/engine/engine.js';
import { type Job, SETTLE, Task } from '../../src/engine/task.js';
import { functionRecord } from '../../src/functions/functions.js';
import { resolvePoolOptions } from '../../src/options/resolve.js';
import { Mode, Outcome } from '../../src/protocol/messages.js';
import type { HostKind } from '../../src/threads/host.js';
import {
  ThreadHandle,
  type ThreadReports,
  type ThreadSpec,
  ThreadState,
} from '../../src/threads/thread-handle.js';

class FakeCarrier extends ThreadHandle {
  readonly #reports: ThreadReports;
  /** Every task up to this seq has started. */
  startedUpTo = 0;

  constructor(reports: ThreadReports, spec: ThreadSpec) {
    super(spec);
    this.#reports = reports;
  }

  send(tasks: Task[]): void {
    for (const task of tasks) this.track(task, this.nextSeq++);
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
  stop(): Promise<void> {
    this.state = ThreadState.Stopping;
    setImmediate(() => this.#reports.threadExited(this, 1, undefined));
    return Promise.resolve();
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
}

function setUp(abortGrace: number) {
  const carriers: FakeCarrier[] = [];
  const host: HostKind = {
    carriers: (options) => options.threads,
    start(reports, spec) {
      const carrier = new FakeCarrier(reports, spec);
      carriers.push(carrier);
      return carrier;
    },
    record: functionRecord,
    copiesValues: false,
    isolated: true,
  };
  const options = resolvePoolOptions({ workers: 4, threads: 2, abortGrace });
  const engine = new Engine(options, (error) => assert.fail(String(error)), undefined, host);
  const settled = new Map<Task, unknown>();
  const job: Job = { [SETTLE]: (task, outcome, value) => settled.set(task, [outcome, value]) };
  const fn = (x: unknown) => x;
  const record = functionRecord(fn);
  const submit = (signal?: AbortSignal): Task => {
    const task = new Task(fn, record, Mode.Call, [0], undefined, job, 0);
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
  return { engine, carriers, submit, settled, turn };
}

describe('a carrier with an aborted task in its grace', () => {
  test('gives back at once what it has not started, and gets new tasks last', async () => {
    const { engine, carriers, submit, turn } = setUp(60_000);
    // Two carriers of two slots, both ready.
    const warm = [submit(), submit(), submit()];
    await turn();
    for (const carrier of carriers) engine.threadReady(carrier);
    await turn();
    const [a, b] = carriers as [FakeCarrier, FakeCarrier];
    a.startAll();
    b.startAll();
    for (const task of warm) (task.thread as FakeCarrier).finish(task, 0);
    await turn();
    assert.equal(a.outstanding.size + b.outstanding.size, 0);
    // The task to abort starts on `a`; then one more goes to each, and the one sent to `a` is
    // still on its way when the abort comes.
    const controller = new AbortController();
    const aborted = submit(controller.signal);
    await turn();
    assert.equal(aborted.thread, a);
    a.startAll();
    const onB = submit();
    const onItsWay = submit();
    await turn();
    assert.equal(onB.thread, b);
    assert.equal(onItsWay.thread, a);
    b.startAll();
    controller.abort('stop');
    await turn();
    assert.equal(onItsWay.thread, b, 'taken back from the doomed carrier, sent to the other');
    assert.equal(a.abortsInGrace, 1);
    // No other carrier has a free slot now: the doomed one's is used, as without the abort.
    b.startAll();
    const fallback = submit();
    await turn();
    assert.equal(fallback.thread, a);
    a.startAll();
    // The aborted task ends in time: its carrier is like any other again.
    a.finish(aborted, 'late');
    await turn();
    assert.equal(a.abortsInGrace, 0);
    b.finish(onB, 0);
    b.finish(onItsWay, 0);
    a.finish(fallback, 0);
    await turn();
    const next = [submit(), submit()];
    await turn();
    assert.deepEqual(
      next.map((task) => task.thread),
      [a, b],
    );
    await engine.terminate();
  });

  test('when the grace runs out, what it has not started is taken back before it stops', async () => {
    const { engine, carriers, submit, settled, turn } = setUp(30);
    const controller = new AbortController();
    const first = submit(controller.signal);
    await turn();
    const [a] = carriers as [FakeCarrier];
    engine.threadReady(a);
    await turn();
    assert.equal(first.thread, a);
    a.startAll();
    controller.abort('stop');
    await turn();
    // The other carrier (started for the queue) has not started yet: what is issued waits for
    // it rather than start on the doomed one.
    const waiting = [submit(), submit()];
    await turn();
    assert.equal(carriers.length, 2, 'its replacement started early');
    assert.deepEqual(
      waiting.map((task) => task.thread),
      [null, null],
    );
    const b = carriers[1] as FakeCarrier;
    engine.threadReady(b);
    await turn();
    assert.deepEqual(
      waiting.map((task) => task.thread),
      [b, b],
    );
    b.startAll();
    // `b` full: the doomed carrier's free slot takes the next one, still on its way at the end.
    const beside = submit();
    await turn();
    assert.equal(beside.thread, a);
    await delay(60);
    assert.equal(a.state, ThreadState.Stopping);
    assert.notEqual(beside.thread, a, 'taken back before the stop');
    await turn();
    assert.equal(settled.has(beside), false, 'it did not fail with the carrier');
    await engine.terminate();
  });
});
