// A map chunk's items on their own (run/chunk-run.ts): in order, each settling once, the chunk
// reporting once, and helpers taking the items not yet started. No threads: the helpers are a
// fake of the thread's side.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Mode, Outcome } from '../../src/protocol/outcomes.js';
import type { ChunkHelpers, ChunkRun } from '../../src/run/chunk-run.js';
import { execute } from '../../src/run/execution.js';

interface Report {
  seq: number;
  outcome: Outcome;
  value: unknown;
}

function recorder(): { reports: Report[]; sink: Parameters<typeof execute>[4] } {
  const reports: Report[] = [];
  return {
    reports,
    sink: {
      complete: (seq, outcome, value) => reports.push({ seq, outcome, value }),
      wrapError: (thrown) => (thrown instanceof Error ? thrown.message : thrown),
    },
  };
}

/** Items that wait until the test releases them, recording when each starts. */
function gate() {
  const started: number[] = [];
  const release = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  const fn = (item: unknown) => {
    const i = item as number;
    started.push(i);
    return new Promise((resolve, reject) => release.set(i, { resolve, reject }));
  };
  return { started, release, fn };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

function fakeHelpers(mayGoOn = () => true) {
  const offered: ChunkRun[] = [];
  let done = 0;
  const helpers: ChunkHelpers = {
    offer: (run) => offered.push(run),
    mayGoOn,
    done: () => done++,
  };
  return { helpers, offered, done: () => done };
}

describe('a chunk on its own', () => {
  test('without helpers, its items run one after another, in order', async () => {
    const { reports, sink } = recorder();
    const { started, release, fn } = gate();
    execute(fn as never, Mode.Map, [0, 1, 2], 7, sink);
    assert.deepEqual(started, [0]);
    release.get(0)?.resolve('a');
    await turn();
    assert.deepEqual(started, [0, 1]);
    release.get(1)?.resolve('b');
    await turn();
    release.get(2)?.resolve('c');
    await turn();
    assert.deepEqual(reports, [{ seq: 7, outcome: Outcome.Ok, value: ['a', 'b', 'c'] }]);
  });

  test('synchronous items are not offered for help', () => {
    const { reports, sink } = recorder();
    const { helpers, offered } = fakeHelpers();
    execute(((x: number) => x * 2) as never, Mode.Map, [1, 2, 3], 1, sink, helpers);
    assert.equal(offered.length, 0);
    assert.deepEqual(reports, [{ seq: 1, outcome: Outcome.Ok, value: [2, 4, 6] }]);
  });

  test('a single async item is not offered either (nothing is left to take)', () => {
    const { sink } = recorder();
    const { helpers, offered } = fakeHelpers();
    const { fn } = gate();
    execute(fn as never, Mode.Map, [0], 1, sink, helpers);
    assert.equal(offered.length, 0);
  });
});

describe('helping a chunk', () => {
  test('helpers take the next unstarted items, in order; the chunk reports once, in order', async () => {
    const { reports, sink } = recorder();
    const { helpers, offered, done } = fakeHelpers();
    const { started, release, fn } = gate();
    execute(fn as never, Mode.Map, [0, 1, 2, 3], 3, sink, helpers);
    assert.equal(offered.length, 1, 'offered once its first item awaits');
    const run = offered[0] as ChunkRun;
    run.help();
    run.help();
    assert.deepEqual(started, [0, 1, 2], 'two helpers took items 1 and 2');
    assert.ok(run.hasUnstarted);
    // The helper of item 2 finishes first and goes on with item 3.
    release.get(2)?.resolve('c');
    await turn();
    assert.deepEqual(started, [0, 1, 2, 3]);
    assert.equal(run.hasUnstarted, false);
    release.get(3)?.resolve('d');
    await turn();
    assert.equal(done(), 1, 'that helper stopped: nothing left to take');
    assert.equal(reports.length, 0, 'items 0 and 1 still run');
    release.get(0)?.resolve('a');
    await turn();
    release.get(1)?.resolve('b');
    await turn();
    assert.equal(done(), 2);
    assert.deepEqual(reports, [{ seq: 3, outcome: Outcome.Ok, value: ['a', 'b', 'c', 'd'] }]);
  });

  test('a helper stops when a task waits for its slot; the chunk goes on without it', async () => {
    const { reports, sink } = recorder();
    let taskWaiting = false;
    const { helpers, offered, done } = fakeHelpers(() => !taskWaiting);
    const { started, release, fn } = gate();
    execute(fn as never, Mode.Map, [0, 1, 2, 3], 1, sink, helpers);
    (offered[0] as ChunkRun).help();
    taskWaiting = true;
    release.get(1)?.resolve(1);
    await turn();
    assert.equal(done(), 1, 'the helper gave its slot up');
    assert.deepEqual(started, [0, 1]);
    release.get(0)?.resolve(0);
    await turn();
    assert.deepEqual(started, [0, 1, 2], "the chunk's own runner goes on");
    release.get(2)?.resolve(2);
    await turn();
    release.get(3)?.resolve(3);
    await turn();
    assert.deepEqual(reports, [{ seq: 1, outcome: Outcome.Ok, value: [0, 1, 2, 3] }]);
  });

  test('failures of helped items are reported once, in item order', async () => {
    const { reports, sink } = recorder();
    const { helpers, offered } = fakeHelpers();
    const { release, fn } = gate();
    execute(fn as never, Mode.Map, [0, 1, 2], 1, sink, helpers);
    const run = offered[0] as ChunkRun;
    run.help();
    run.help();
    release.get(2)?.reject(new Error('two'));
    await turn();
    release.get(1)?.reject(new Error('one'));
    await turn();
    release.get(0)?.resolve('zero');
    await turn();
    assert.equal(reports.length, 1);
    const [report] = reports as [Report];
    assert.equal(report.outcome, Outcome.PartialChunk);
    const { values, failures } = report.value as {
      values: unknown[];
      failures: [number, unknown][];
    };
    assert.equal(values[0], 'zero');
    assert.deepEqual(failures, [
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  test('a helper arriving when nothing is left stops at once', () => {
    const { sink } = recorder();
    const { helpers, offered, done } = fakeHelpers();
    const { fn } = gate();
    execute(fn as never, Mode.Map, [0, 1], 1, sink, helpers);
    const run = offered[0] as ChunkRun;
    run.help();
    assert.equal(run.hasUnstarted, false);
    run.help();
    assert.equal(done(), 1);
  });
});
