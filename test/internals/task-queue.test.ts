// The pool's queue and the map chunks it could cut into pieces (see lastWavePieceSize in
// dispatch-policy.ts), with a real map's job: the queue counts the chunks as they come and go,
// and splitAll() puts each one's pieces in its place; a chunk is cut once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serialize } from 'node:v8';
import { type Job, SETTLE, Task, TaskState } from '../../src/engine/task.js';
import { TaskQueue } from '../../src/engine/task-queue.js';
import type { FunctionRecord } from '../../src/functions/functions.js';
import { Mode, Outcome } from '../../src/protocol/messages.js';
import { MAX_CUT_BYTES, SerializedPayload } from '../../src/protocol/serialized.js';
import { AsyncResult } from '../../src/thread-pool/async-result.js';
import { MapJob } from '../../src/thread-pool/map-job.js';
import { nested, unreadableDepth } from '../helpers.js';

const fn = (x: unknown) => x;
const record = {} as FunctionRecord;

/** A map's job: `divisible` for the default chunksize (a chunksize the caller chose is kept). */
function mapJob(chunks: number, divisible = true): MapJob<unknown> {
  return new MapJob(new AsyncResult<unknown[]>(undefined, () => {}), chunks, divisible);
}

/** A task as the engine queues it: `calls` is a chunk's item count (stats.ts sets it so). */
function task(payload: unknown[], job: Job | null, mode: Mode = Mode.Map, index = 0): Task {
  const made = new Task(fn, record, mode, payload, undefined, job, index);
  if (mode !== Mode.Call) made.calls = payload.length;
  return made;
}

describe('the task queue and splittable chunks', () => {
  test('counts the chunks it could split as they come and go', () => {
    const queue = new TaskQueue();
    const job = mapJob(3);
    const chunk = task([1, 2, 3], job);
    queue.push(chunk);
    queue.push(task([4], job)); // one item: nothing to split
    queue.push(task([5, 6], null)); // no job that splits
    queue.push(task([9, 10], mapJob(1, false))); // a chunksize the caller chose
    queue.push(task([7, 8], job, Mode.Call)); // a call, not a chunk: calls stays 1
    assert.equal(queue.splittable, 1);
    assert.equal(queue.calls(), 3 + 1 + 2 + 2 + 1);
    queue.shift();
    assert.equal(queue.splittable, 0);
    queue.unshiftAll([chunk]);
    assert.equal(queue.splittable, 1);
    chunk.state = TaskState.Settled;
    queue.removed(chunk);
    assert.equal(queue.splittable, 0);
    assert.equal(queue.size, 4);
    assert.equal(queue.calls(), 6, 'a removed task counts no calls');
  });

  test('a chunk with a transfer list or a control is never split', () => {
    const queue = new TaskQueue();
    const job = mapJob(3);
    const transferred = new Task(fn, record, Mode.Map, [1, 2], [new ArrayBuffer(8)], job, 0);
    transferred.calls = 2;
    queue.push(transferred);
    assert.equal(queue.splittable, 0);
    queue.splitAll(1);
    assert.equal(queue.size, 1);
    assert.equal(queue.shift(), transferred);
  });

  test('splitAll puts each chunk’s pieces in its place, in order', async () => {
    const queue = new TaskQueue();
    const result = new AsyncResult<unknown[]>(undefined, () => {});
    const job = new MapJob(result, 2, true);
    queue.push(task([1, 2], job, Mode.Map, 0));
    queue.push(task([3], null, Mode.Call));
    queue.push(task([4, 5, 6, 7, 8], job, Mode.Map, 1));
    assert.equal(queue.calls(), 8);
    // Pieces of 2: the chunk of 2 stays whole (cut, it would be one piece), the one of 5 is cut
    // into about equal pieces.
    queue.splitAll(2);
    assert.equal(queue.size, 5);
    assert.equal(queue.splittable, 1, 'the whole chunk of 2 may still be cut; the pieces may not');
    assert.equal(queue.calls(), 8);
    // Pieces of 3 would leave a chunk of 5 with a sliver: it is not cut (nor the one of 2).
    const whole = new TaskQueue();
    whole.push(task([1, 2, 3, 4, 5], mapJob(1), Mode.Map, 0));
    whole.splitAll(3);
    assert.equal(whole.size, 1);
    queue.splitAll(1);
    assert.equal(queue.size, 6, 'the chunk of 2 cut in two; the pieces of the other kept whole');
    assert.equal(queue.splittable, 0);
    const queued: Task[] = [];
    for (let t = queue.shift(); t; t = queue.shift()) queued.push(t);
    assert.equal(queue.size, 0);
    assert.deepEqual(
      queued.map((t) => t.payload),
      [[1], [2], [3], [4, 5], [6, 7], [8]],
    );
    // The pieces settle the map in the chunks' places, in whatever order they come back.
    for (const piece of queued.reverse()) {
      if (piece.job !== job) continue;
      job[SETTLE](
        piece,
        Outcome.Ok,
        (piece.payload as number[]).map((x) => x * 10),
      );
    }
    assert.deepEqual(await result, [10, 20, 40, 50, 60, 70, 80]);
  });

  test('a chunk serialized at the call is cut when small, its items read back; a large one is kept', async () => {
    const queue = new TaskQueue();
    const result = new AsyncResult<unknown[]>(undefined, () => {});
    const job = new MapJob(result, 2, true);
    const items = [{ id: 1 }, { id: 2, tags: new Map([['a', 1]]) }, { id: 3 }];
    const small = new Task(fn, record, Mode.Map, [], undefined, job, 0);
    small.payload = new SerializedPayload(serialize(items));
    small.calls = 3;
    const big = Array.from({ length: 2 }, () => 'x'.repeat(MAX_CUT_BYTES));
    const large = new Task(fn, record, Mode.Map, [], undefined, job, 1);
    large.payload = new SerializedPayload(serialize(big));
    large.calls = 2;
    queue.push(small);
    queue.push(large);
    assert.equal(queue.splittable, 1, 'only the small one');
    queue.splitAll(1);
    assert.equal(queue.size, 4);
    const queued: Task[] = [];
    for (let t = queue.shift(); t; t = queue.shift()) queued.push(t);
    assert.deepEqual(
      queued.slice(0, 3).map((t) => t.payload),
      items.map((item) => [item]),
    );
    assert.equal(queued[3], large);
    // The pieces hold copies: the map's own values are not shared with them.
    assert.notEqual(((queued[0] as Task).payload as unknown[])[0], items[0]);
    for (const piece of queued) {
      const values = piece === large ? big : (piece.payload as unknown[]);
      job[SETTLE](piece, Outcome.Ok, values);
    }
    assert.deepEqual(await result, [...items, ...big]);
  });

  test('a serialized chunk too deep to read back on this stack is left whole, and not tried again', () => {
    const depth = unreadableDepth();
    const queue = new TaskQueue();
    const job = mapJob(1);
    const chunk = new Task(fn, record, Mode.Map, [], undefined, job, 0);
    chunk.payload = new SerializedPayload(serialize([nested(depth), nested(depth)]));
    chunk.calls = 2;
    queue.push(chunk);
    assert.equal(queue.splittable, 1);
    queue.splitAll(1);
    assert.equal(queue.size, 1);
    assert.equal(queue.splittable, 0, 'not tried again');
    assert.equal(queue.shift(), chunk);
    assert.equal(chunk.state, TaskState.Queued);
    assert.ok(chunk.payload instanceof SerializedPayload, 'sent as it was');
  });
});
