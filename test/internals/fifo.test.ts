// The FIFO on its own: order, growth across the ring's wrap, removal, draining.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Fifo } from '../../src/engine/fifo.js';

describe('Fifo', () => {
  test('first in, first out, across growth and wrap-around', () => {
    const fifo = new Fifo<number>();
    const expected: number[] = [];
    let next = 0;
    // Interleaved pushes and shifts move the head around the ring while it grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < round % 7; i++) {
        fifo.push(next);
        expected.push(next++);
      }
      for (let i = 0; i < round % 3; i++) assert.equal(fifo.shift(), expected.shift());
      assert.equal(fifo.length, expected.length);
      assert.equal(fifo.peek(), expected[0]);
    }
    assert.deepEqual(fifo.drain(), expected);
    assert.equal(fifo.length, 0);
    assert.equal(fifo.shift(), undefined);
    assert.equal(fifo.peek(), undefined);
  });

  test('unshift puts an item back at the front', () => {
    const fifo = new Fifo<string>();
    fifo.push('b');
    fifo.push('c');
    fifo.unshift('a');
    for (let i = 0; i < 20; i++) fifo.push(`x${i}`);
    assert.deepEqual(fifo.drain().slice(0, 4), ['a', 'b', 'c', 'x0']);
  });

  test('remove takes an item out from anywhere, keeping the order of the rest', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 5; i++) fifo.push(i);
    fifo.shift();
    for (let i = 5; i < 12; i++) fifo.push(i); // wraps around the first ring
    assert.equal(fifo.remove(7), true);
    assert.equal(fifo.remove(1), true);
    assert.equal(fifo.remove(42), false);
    assert.deepEqual(fifo.drain(), [2, 3, 4, 5, 6, 8, 9, 10, 11]);
  });
});
