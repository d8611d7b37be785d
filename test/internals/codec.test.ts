// The wire format on its own: each message kind encoded, carried across as postMessage would carry
// it (structuredClone, with its transfer list), and decoded, on plain arrays; no threads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import {
  defineMessage,
  initFailedMessage,
  isBatch,
  lostMessage,
  READY,
  resentMessage,
  STOP,
} from '../../src/protocol/control.js';
import { serializeError, type WireError } from '../../src/protocol/errors.js';
import type { FunctionDef } from '../../src/protocol/functions.js';
import { type ChunkFailure, Mode, Outcome } from '../../src/protocol/messages.js';
import {
  appendOutput,
  appendResult,
  appendStarts,
  decodeResults,
  type ResultsMessage,
  readStarts,
  resultsAfterLoss,
  splitResults,
} from '../../src/protocol/results.js';
import {
  decodeRunBatch,
  encodeRunBatch,
  type ReceivedTask,
  RUN_DATA,
  type RunMessage,
  type TaskToSend,
} from '../../src/protocol/run-batch.js';
import { SerializedPayload } from '../../src/protocol/serialized.js';

function task(id: number, mode: Mode, payload: unknown): TaskToSend {
  return { record: { id }, mode, flags: 0, payload };
}

/** Across a channel: cloned, with the transfer list moved. */
function cross<T>(message: T, transfer?: readonly ArrayBuffer[]): T {
  return structuredClone(message, { transfer: transfer ? [...transfer] : [] });
}

function roundTrip(tasks: TaskToSend[], firstSeq = 1, droppedUpTo = 0): ReceivedTask[] {
  const [message, transfer] = encodeRunBatch(tasks, firstSeq);
  const into: ReceivedTask[] = [];
  decodeRunBatch(cross(message, transfer), droppedUpTo, into);
  return into;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('run batches', () => {
  test('a uniform batch sends its function, mode and size once, the arguments spread', () => {
    const tasks = [task(7, Mode.Call, [1, 'a']), task(7, Mode.Call, [2, 'b'])];
    const [message, transfer] = encodeRunBatch(tasks, 10);
    assert.deepEqual(message, [10, 2, 7, Mode.Call, 2, 1, 'a', 2, 'b']);
    assert.equal(transfer, undefined);
    assert.deepEqual(roundTrip(tasks, 10), [
      {
        seq: 10,
        fn: 7,
        mode: Mode.Call,
        flags: 0,
        divisible: false,
        payload: [1, 'a'],
        serialized: false,
      },
      {
        seq: 11,
        fn: 7,
        mode: Mode.Call,
        flags: 0,
        divisible: false,
        payload: [2, 'b'],
        serialized: false,
      },
    ]);
  });

  test('a mixed batch switches to per-task arrays where it stops being uniform', () => {
    const tasks = [
      task(1, Mode.Call, []),
      task(1, Mode.Call, [{ deep: [1, 2] }, null, undefined]),
      task(2, Mode.Map, ['x', 'y']),
      task(3, Mode.Starmap, [
        [1, 2],
        [3, 4],
      ]),
      task(3, Mode.Call, [42]),
    ];
    const [message] = encodeRunBatch(tasks, 1);
    assert.deepEqual(message.slice(0, RUN_DATA), [
      1,
      5,
      [1, 1, 2, 3, 3],
      [Mode.Call, Mode.Call, Mode.Map, Mode.Starmap, Mode.Call],
      [0, 3, -1, -1, 1],
    ]);
    assert.deepEqual(
      roundTrip(tasks),
      tasks.map((t, i) => ({
        seq: 1 + i,
        fn: t.record.id,
        mode: t.mode,
        flags: 0,
        divisible: false,
        payload: t.payload,
        serialized: false,
      })),
    );
  });

  test('only the fields that differ become arrays', () => {
    const tasks = [task(4, Mode.Call, [1]), task(5, Mode.Call, [2]), task(6, Mode.Call, [3])];
    const [message] = encodeRunBatch(tasks, 1);
    assert.deepEqual(message.slice(0, RUN_DATA), [1, 3, [4, 5, 6], Mode.Call, 1]);
    assert.deepEqual(roundTrip(tasks)[2], {
      seq: 3,
      fn: 6,
      mode: Mode.Call,
      flags: 0,
      divisible: false,
      payload: [3],
      serialized: false,
    });
  });

  test('a long map chunk of numbers travels packed and transferred; others as they are', () => {
    const numbers = range(100, 0.5);
    const [message, transfer] = encodeRunBatch(
      [
        task(1, Mode.Map, numbers),
        task(1, Mode.Map, [...range(99), 'not a number']),
        task(1, Mode.Map, range(10)),
        task(
          1,
          Mode.Starmap,
          range(100).map((i) => [i]),
        ),
      ],
      1,
    );
    assert.ok(message[RUN_DATA] instanceof Float64Array);
    assert.deepEqual(transfer, [(message[RUN_DATA] as Float64Array).buffer]);
    for (let i = 1; i < 4; i++) assert.ok(Array.isArray(message[RUN_DATA + i]));
    const into: ReceivedTask[] = [];
    decodeRunBatch(cross(message, transfer), 0, into);
    assert.equal((message[RUN_DATA] as Float64Array).byteLength, 0, 'the buffer was moved');
    assert.deepEqual(Array.from(into[0]?.payload as Float64Array), numbers);
    assert.equal(((into[1] as ReceivedTask).payload as unknown[]).at(-1), 'not a number');
  });

  test('a payload serialized at the call travels as its bytes, marked for the thread', () => {
    const items = [{ a: 1 }, { a: 2 }];
    const serialized = new SerializedPayload(serialize(items));
    const tasks = [task(3, Mode.Map, serialized), task(3, Mode.Map, [5, 6])];
    const [message] = encodeRunBatch(tasks, 1);
    assert.deepEqual(message[4], [-2, -1]);
    const [first, second] = roundTrip(tasks);
    assert.equal(first?.serialized, true);
    assert.deepEqual(deserialize(first?.payload as Uint8Array), items);
    assert.equal(second?.serialized, false);
    assert.deepEqual(second?.payload, [5, 6]);
  });

  test('tasks taken back before the batch is read are dropped unread', () => {
    const tasks = range(5).map((i) => task(1, i % 2 ? Mode.Map : Mode.Call, [i]));
    const kept = roundTrip(tasks, 20, 22);
    assert.deepEqual(
      kept.map((t) => [t.seq, t.payload]),
      [
        [23, [3]],
        [24, [4]],
      ],
    );
  });

  test('decoding appends to what is queued', () => {
    const queue: (ReceivedTask | undefined)[] = [undefined];
    decodeRunBatch(encodeRunBatch([task(1, Mode.Call, [])], 5)[0], 0, queue);
    assert.equal(queue.length, 2);
    assert.equal(queue[1]?.seq, 5);
  });
});

describe('control messages', () => {
  const inline: FunctionDef = {
    kind: 'inline',
    id: 3,
    source: '(x) => x',
    name: '',
    origin: { url: 'file:///a.ts', line: 1, column: 2 },
  };
  const module: FunctionDef = { kind: 'module', id: 4, url: 'file:///m.js', exportName: 'f' };

  test('each crosses as it is, and none is taken for a batch', () => {
    const messages = [
      defineMessage([inline, module], null),
      defineMessage([], [1, 2]),
      lostMessage(3, 'Maximum call stack size exceeded'),
      resentMessage(3),
      STOP,
      READY,
      initFailedMessage(serializeError(new TypeError('bad'))),
    ];
    for (const message of messages) {
      assert.deepEqual(cross(message), message);
      assert.equal(isBatch(message), false);
    }
    assert.deepEqual(defineMessage([module], [9]), { t: 'define', defs: [module], forget: [9] });
  });

  test('batches are arrays', () => {
    assert.equal(
      isBatch(encodeRunBatch([task(1, Mode.Call, [])], 1)[0] satisfies RunMessage),
      true,
    );
    assert.equal(isBatch([] satisfies ResultsMessage), true);
  });
});

describe('result batches', () => {
  function batch(): [ResultsMessage, ArrayBuffer[]] {
    const out: ResultsMessage = [];
    const transfer: ArrayBuffer[] = [];
    appendResult(out, transfer, 1, Outcome.Ok, { a: [1, 2] });
    appendOutput(out, Outcome.Stdout, 'line\n');
    appendResult(out, transfer, 2, Outcome.Error, serializeError(new RangeError('too far')));
    appendResult(out, transfer, 3, Outcome.Ok, range(100), true);
    appendResult(out, transfer, 4, Outcome.Ok, ['a', 'b'], true);
    appendOutput(out, Outcome.Stderr, new Uint8Array([104, 105]));
    appendResult(out, transfer, 5, Outcome.PartialChunk, {
      // A failed item leaves a hole.
      values: Object.assign(new Array(3), { 0: 1, 2: 3 }),
      failures: [[1, serializeError(Object.assign(new Error('item'), { code: 'E_ITEM' }))]],
    } satisfies ChunkFailure);
    return [out, transfer];
  }

  test('a chunk of numbers is packed and transferred; other values are not touched', () => {
    const [out, transfer] = batch();
    assert.equal(out.length, 7 * 3);
    assert.equal(out[10], Outcome.OkPacked);
    assert.ok(out[11] instanceof Float64Array);
    assert.deepEqual(transfer, [(out[11] as Float64Array).buffer]);
    assert.equal(out[13], Outcome.Ok);
    assert.deepEqual(out[14], ['a', 'b']);
  });

  test('decoded in place: packed numbers unpacked, errors rebuilt, output handed over in order', () => {
    const [out, transfer] = batch();
    const message = cross(out, transfer);
    const seen: unknown[] = [];
    decodeResults(message, (kind, data) => seen.push([kind, data, message[0]]));
    assert.deepEqual(seen, [
      [Outcome.Stdout, 'line\n', 1],
      [Outcome.Stderr, new Uint8Array([104, 105]), 1],
    ]);
    const entries = splitResults(message);
    assert.deepEqual(
      entries.map((e) => [e[0], e[1]]),
      [
        [1, Outcome.Ok],
        [0, Outcome.Stdout],
        [2, Outcome.Error],
        [3, Outcome.Ok],
        [4, Outcome.Ok],
        [0, Outcome.Stderr],
        [5, Outcome.PartialChunk],
      ],
    );
    assert.deepEqual(entries[0]?.[2], { a: [1, 2] });
    const error = entries[2]?.[2];
    assert.ok(error instanceof RangeError);
    assert.equal(error.message, 'too far');
    assert.deepEqual(entries[3]?.[2], range(100));
    assert.ok(Array.isArray(entries[3]?.[2]));
    const partial = entries[6]?.[2] as ChunkFailure<unknown>;
    assert.equal(partial.values.length, 3);
    assert.equal(partial.values[2], 3);
    assert.equal(1 in partial.values, false);
    assert.equal(partial.failures[0]?.[0], 1);
    const itemError = partial.failures[0]?.[1] as Error & { code?: string };
    assert.ok(itemError instanceof Error);
    assert.equal(itemError.code, 'E_ITEM');
  });

  test('a thrown non-error travels as itself', () => {
    const out: ResultsMessage = [];
    appendResult(out, [], 1, Outcome.Error, serializeError(42));
    decodeResults(out, () => assert.fail('no output'));
    assert.equal(out[2], 42);
  });

  test('a lost batch of several results goes again entry by entry; packed numbers cannot', () => {
    const [out] = batch();
    const again = resultsAfterLoss(out, 'too deep');
    assert.equal(again.length, 7);
    for (const [i, one] of again.entries()) {
      assert.equal(one.length, 3);
      assert.equal(one[0], out[i * 3]);
    }
    assert.deepEqual(again[1], [0, Outcome.Stdout, 'line\n']);
    assert.deepEqual(again[0], [1, Outcome.Ok, { a: [1, 2] }]);
    assert.equal(again[3]?.[1], Outcome.Error, 'its buffer went with the lost message');
    assert.match(
      ((again[3] as ResultsMessage)[2] as { message: string }).message,
      /^The task's result could be sent but not read .*too deep/,
    );
  });

  test('a lone lost result becomes an error that crosses', () => {
    const value: ResultsMessage = [];
    appendResult(value, [], 9, Outcome.Ok, { too: 'deep' });
    appendOutput(value, Outcome.Stdout, 'x');
    const [result, output] = resultsAfterLoss(value, 'stack');
    assert.equal(result?.[1], Outcome.Error);
    assert.equal(
      ((result as ResultsMessage)[2] as WireError & { name: string }).name,
      'DataCloneError',
    );
    assert.deepEqual(output, [0, Outcome.Stdout, 'x']);

    const failed: ResultsMessage = [];
    const cause = new Error('cause');
    appendResult(failed, [], 9, Outcome.Error, serializeError(new Error('top', { cause })));
    const [error] = resultsAfterLoss(failed, 'stack');
    const decoded = cross(error as ResultsMessage);
    decodeResults(decoded, () => {});
    const rebuilt = decoded[2] as Error & { unreadable?: string };
    assert.equal(rebuilt.message, 'top');
    assert.equal(rebuilt.cause, undefined);
    assert.match(rebuilt.unreadable ?? '', /could not be read by the main thread \(stack\)/);
  });

  test('start times end a batch: read first, left alone by decoding, kept as they are when lost', () => {
    const out: ResultsMessage = [];
    appendResult(out, [], 1, Outcome.Ok, 10);
    appendOutput(out, Outcome.Stdout, 'x');
    appendResult(out, [], 2, Outcome.Error, serializeError(new Error('two')));
    appendStarts(out, [1, 1000.25, 2, 1000.5, 3, 1001]);
    const copy = deserialize(serialize(out)) as ResultsMessage;
    decodeResults(copy, () => {});
    const starts: [number, number][] = [];
    const end = readStarts(copy, (seq, time) => starts.push([seq, time]));
    assert.equal(end, 9, 'the results end where the start times begin');
    assert.deepEqual(
      starts.sort((a, b) => a[0] - b[0]),
      [
        [1, 1000.25],
        [2, 1000.5],
        [3, 1001],
      ],
    );
    assert.equal(copy[11], 1000.25, 'a start time is not decoded as a result');
    // A batch without them: the results go to its end.
    assert.equal(
      readStarts([5, Outcome.Ok, 1], () => assert.fail('no start times')),
      3,
    );
    // Lost with several results: each start time goes again as it is.
    const again = resultsAfterLoss(out, 'too deep');
    assert.deepEqual(again.slice(-3), [
      [1, Outcome.Started, 1000.25],
      [2, Outcome.Started, 1000.5],
      [3, Outcome.Started, 1001],
    ]);
  });
});

test('a task flags travel in the high bits of its mode, and come back apart', () => {
  const controlled = { record: { id: 3 }, mode: Mode.Starmap, flags: 4 | 16, payload: [[1]] };
  const plain = { record: { id: 3 }, mode: Mode.Starmap, flags: 0, payload: [[2]] };
  const [message] = encodeRunBatch([controlled, plain], 1);
  const received: ReceivedTask[] = [];
  decodeRunBatch(message, 0, received);
  assert.deepEqual(
    received.map((task) => [task.mode, task.flags]),
    [
      [Mode.Starmap, 20],
      [Mode.Starmap, 0],
    ],
  );
});

test('a chunk of the default chunksize is marked divisible beside its flags, not as one of them', () => {
  const helped = { record: { id: 3 }, mode: Mode.Map, flags: 0, divisible: true, payload: [1, 2] };
  const controlled = { ...helped, flags: 4, payload: [3, 4] };
  const chosen = { ...helped, divisible: false, payload: [5, 6] };
  const [message] = encodeRunBatch([helped, controlled, chosen], 1);
  const received: ReceivedTask[] = [];
  decodeRunBatch(message, 0, received);
  assert.deepEqual(
    received.map((task) => [task.mode, task.flags, task.divisible]),
    [
      [Mode.Map, 0, true],
      [Mode.Map, 4, true],
      [Mode.Map, 0, false],
    ],
  );
});
