// Results a thread holds are copied to memory the main thread reads after the thread is gone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createHeldResults,
  HELD_RESULTS_BYTES,
  HeldResultsWriter,
  readHeldResults,
} from '../../src/protocol/held-results.js';
import { Outcome } from '../../src/protocol/outcomes.js';

describe('held results', () => {
  test('plain values come back as they were, appended in slices', () => {
    const buffer = createHeldResults();
    const writer = new HeldResultsWriter(buffer);
    const values = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, true, false, null];
    const more = [undefined, '', 'héllo \u{1F600}', '\uD800 lone', 'y'.repeat(256)];
    const out: unknown[] = [];
    for (const [i, value] of values.entries()) out.push(i + 1, Outcome.Ok, value);
    assert.equal(writer.append(out, 0), true);
    const from = out.length;
    for (const [i, value] of more.entries()) out.push(100 + i, Outcome.Ok, value);
    assert.equal(writer.append(out, from), true);
    const read = readHeldResults(buffer);
    assert.deepEqual(read, out);
    assert.ok(Object.is(read[5], -0));
  });

  test('anything else is refused, and nothing of the refused slice is published', () => {
    const buffer = createHeldResults();
    const writer = new HeldResultsWriter(buffer);
    assert.equal(writer.append([1, Outcome.Ok, 7], 0), true);
    for (const value of [{}, [1], 1n, 'z'.repeat(257), new Uint8Array(1), Symbol('s')]) {
      assert.equal(
        writer.append([1, Outcome.Ok, 7, 2, Outcome.Ok, 8, 3, Outcome.Ok, value], 3),
        false,
      );
    }
    assert.equal(writer.append([4, Outcome.Error, { message: 'x' }], 0), false);
    assert.deepEqual(readHeldResults(buffer), [1, Outcome.Ok, 7]);
  });

  test('a full buffer refuses more; clear() empties it', () => {
    const buffer = createHeldResults();
    const writer = new HeldResultsWriter(buffer);
    const big = 'w'.repeat(256);
    let appended = 0;
    while (writer.append([appended + 1, Outcome.Ok, big], 0)) appended++;
    assert.ok(appended > 10 && appended * 512 < HELD_RESULTS_BYTES, `${appended} appended`);
    assert.equal(readHeldResults(buffer).length, appended * 3);
    writer.clear();
    assert.deepEqual(readHeldResults(buffer), []);
    assert.equal(writer.append([9, Outcome.Ok, 9], 0), true);
    assert.deepEqual(readHeldResults(buffer), [9, Outcome.Ok, 9]);
  });
});
