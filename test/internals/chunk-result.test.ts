// Decoding a chunk's outcome: the one place Ok, PartialChunk and Error become results.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChunkResult } from '../../src/engine/chunk-result.js';
import { Outcome } from '../../src/protocol/messages.js';

describe('ChunkResult', () => {
  test('Ok: a value per item, no failure', () => {
    const result = ChunkResult.decode(Outcome.Ok, [1, 2, 3]);
    assert.equal(result.error, null);
    assert.equal(result.firstError(), null);
    assert.deepEqual(
      [0, 1, 2].map((i) => result.failedAt(i)),
      [false, false, false],
    );
    assert.equal(result.takeValue(1), 2);
    assert.equal(result.values[1], undefined, 'a value handed out is not kept');
  });

  test('PartialChunk: the failed items and the first error', () => {
    const first = new Error('one');
    const second = new Error('three');
    const result = ChunkResult.decode(Outcome.PartialChunk, {
      values: [0, undefined, 2, undefined],
      failures: [
        [1, first],
        [3, second],
      ],
    });
    assert.deepEqual(result.firstError(), { error: first });
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => result.failedAt(i)),
      [false, true, false, true],
    );
    assert.equal(result.errorAt(3), second);
    assert.equal(result.takeValue(2), 2);
  });

  test('a failure whose error is undefined still counts as a failure', () => {
    const result = ChunkResult.decode(Outcome.PartialChunk, {
      values: [],
      failures: [[0, undefined]],
    });
    assert.equal(result.failedAt(0), true);
    assert.deepEqual(result.firstError(), { error: undefined });
  });

  test('Error: the whole chunk fails, every item with the one error', () => {
    const error = new Error('thread died');
    for (const result of [ChunkResult.decode(Outcome.Error, error), ChunkResult.failed(error)]) {
      assert.deepEqual(result.error, { error });
      assert.deepEqual(result.firstError(), { error });
      assert.equal(result.failedAt(0), true);
      assert.equal(result.failedAt(5), true);
      assert.equal(result.errorAt(5), error);
    }
  });
});
