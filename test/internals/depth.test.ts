// Which values cross a child process's channel sealed (protocol/depth.ts): those that may be too
// deep for the other side to read back. Small shallow values go as they are (sealing each one
// cost a third of a process pool's rate).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mayBeDeep } from '../../src/protocol/depth.js';
import { nested } from '../helpers.js';

describe('mayBeDeep', () => {
  test('primitives and small shallow values: no', () => {
    for (const value of [1, 'a', null, undefined, true, 10n]) assert.equal(mayBeDeep(value), false);
    assert.equal(mayBeDeep({ x: 1, tag: 'a', when: new Date(), bytes: new Uint8Array(8) }), false);
    assert.equal(mayBeDeep([1, [2, [3, { four: 4 }]]]), false);
    assert.equal(mayBeDeep(nested(200)), false);
  });

  test('nested deeper than it is safe to read back, through objects, arrays, Maps and Sets: yes', () => {
    assert.equal(mayBeDeep(nested(300)), true);
    let list: unknown = [];
    for (let i = 0; i < 300; i++) list = [list];
    assert.equal(mayBeDeep(list), true);
    let map: unknown = new Map();
    for (let i = 0; i < 300; i++) map = new Map([['next', map]]);
    assert.equal(mayBeDeep(map), true);
    let set: unknown = new Set();
    for (let i = 0; i < 300; i++) set = new Set([set]);
    assert.equal(mayBeDeep(set), true);
  });

  test('too large to walk, cyclic, or a getter that throws: yes', () => {
    assert.equal(mayBeDeep(Array.from({ length: 5_000 }, (_, i) => ({ i }))), true);
    const cycle: { self?: unknown } = {};
    cycle.self = cycle;
    assert.equal(mayBeDeep(cycle), true);
    const hostile = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    assert.equal(mayBeDeep(hostile), true);
  });
});
