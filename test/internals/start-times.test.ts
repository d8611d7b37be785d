// When a thread started its running timed tasks, in memory the main thread reads when a timer fires.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createStartTimes,
  readStartTime,
  StartTimesWriter,
} from '../../src/protocol/start-times.js';

describe('start times', () => {
  test('a start is read back as written, for clock values beyond 32 bits', () => {
    const buffer = createStartTimes(4);
    const writer = new StartTimesWriter(buffer);
    const now = Date.now();
    assert.equal(writer.record(7, now), true);
    assert.equal(writer.record(8, 2 ** 52 + 3), true);
    assert.equal(readStartTime(buffer, 7), now);
    assert.equal(readStartTime(buffer, 8), 2 ** 52 + 3);
    assert.equal(readStartTime(buffer, 9), 0, 'a task never written has no start');
  });

  test('an ended task has no start, and its entry serves the next', () => {
    const buffer = createStartTimes(2);
    const writer = new StartTimesWriter(buffer);
    assert.equal(writer.record(1, 1000), true);
    assert.equal(writer.record(2, 2000), true);
    assert.equal(writer.record(3, 3000), false, 'every entry taken: the start is posted instead');
    writer.forget(1);
    assert.equal(readStartTime(buffer, 1), 0);
    assert.equal(writer.record(3, 3000), true);
    assert.equal(readStartTime(buffer, 2), 2000);
    assert.equal(readStartTime(buffer, 3), 3000);
    // Forgetting a task that has no entry (an untimed one) changes nothing.
    writer.forget(99);
    assert.equal(readStartTime(buffer, 2), 2000);
    assert.equal(readStartTime(buffer, 3), 3000);
  });

  test('seqs that fall on the same entry are each found', () => {
    const buffer = createStartTimes(8);
    const writer = new StartTimesWriter(buffer);
    // 3, 11, 19 all start looking at entry 3.
    for (const seq of [3, 11, 19]) assert.equal(writer.record(seq, seq * 10), true);
    writer.forget(11);
    assert.equal(writer.record(27, 270), true);
    for (const seq of [3, 19, 27]) assert.equal(readStartTime(buffer, seq), seq * 10);
    assert.equal(readStartTime(buffer, 11), 0);
    // A task without an entry whose own entry holds another task's: nothing is freed.
    writer.forget(35);
    for (const seq of [3, 19, 27]) assert.equal(readStartTime(buffer, seq), seq * 10);
    for (const seq of [3, 19, 27]) writer.forget(seq);
    // Every entry free again: all eight can be taken.
    for (let seq = 40; seq < 48; seq++) assert.equal(writer.record(seq, seq), true);
    assert.equal(writer.record(48, 48), false);
    for (let seq = 40; seq < 48; seq++) assert.equal(readStartTime(buffer, seq), seq);
  });

  test('room for as many tasks as the thread runs at once, up to a bound', () => {
    const bytesPerEntry = 16;
    assert.equal(createStartTimes(1).byteLength, bytesPerEntry);
    assert.equal(createStartTimes(32).byteLength, 32 * bytesPerEntry);
    assert.equal(createStartTimes(1_000_000).byteLength, 1024 * bytesPerEntry);
  });
});
