// The two halves of delivery counting on their own: an Outbox keeps each message until the
// receiver's count passes it, hands back the one reported lost, and drops what was taken.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Inbox, Outbox } from '../../src/protocol/delivery.js';

describe('Outbox and Inbox', () => {
  test('a message is kept until taken, and a lost one is handed back once', () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    const outbox = new Outbox<string>(words, 1);
    const inbox = new Inbox(words, 1);
    for (let n = 1; n <= 5; n++) outbox.keep(n, `m${n}`);
    inbox.took();
    inbox.took();
    const lost = inbox.lost();
    assert.equal(lost, 3);
    inbox.took(); // 4, read: the count still stops before 3 until it is answered
    outbox.prune();
    // 1 and 2 were taken and are forgotten; 3 is still held for the report.
    assert.equal(outbox.take(1), undefined);
    assert.equal(outbox.take(2), undefined);
    assert.equal(outbox.take(3), 'm3');
    assert.equal(outbox.take(3), undefined);
    inbox.answered(3);
    outbox.prune();
    assert.equal(outbox.take(4), undefined);
    assert.equal(outbox.take(5), 'm5');
  });

  test('many messages kept and pruned in turn, across the 32-bit wrap of the count', () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    const outbox = new Outbox<number>(words, 0);
    // The receiver's count is near the top of int32: message numbers wrap to negative.
    let n = 2 ** 31 - 20;
    words[0] = n | 0;
    const kept: number[] = [];
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < (round % 5) + 1; i++) {
        n = (n + 1) | 0;
        outbox.keep(n, n);
        kept.push(n);
      }
      // The receiver takes all but the newest two.
      const taken = kept.length > 2 ? kept.splice(0, kept.length - 2) : [];
      if (taken.length > 0) words[0] = taken[taken.length - 1] as number;
      outbox.prune();
      for (const gone of taken) assert.equal(outbox.take(gone), undefined);
    }
    // What was not taken is still there, each once.
    for (const still of kept) assert.equal(outbox.take(still), still);
    for (const still of kept) assert.equal(outbox.take(still), undefined);
  });
});
