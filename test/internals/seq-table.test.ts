// SeqTable: the tasks a thread holds, by seq, against a Map as the model.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SeqTable } from '../../src/engine/seq-table.js';

/** A small deterministic generator (xorshift), so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function assertSame(table: SeqTable<string>, model: Map<number, string>, what: string): void {
  const expected = [...model].sort((a, b) => a[0] - b[0]);
  assert.deepEqual([...table], expected, what);
  assert.equal(table.size, model.size, what);
  assert.equal(table.first(), expected[0]?.[0], what);
  assert.deepEqual(
    [...table.keys()],
    expected.map(([seq]) => seq),
    what,
  );
  assert.deepEqual(
    [...table.values()],
    expected.map(([, value]) => value),
    what,
  );
  for (const last of [Number.NEGATIVE_INFINITY, ...expected.map(([seq]) => seq), 1e9]) {
    const count = expected.filter(([seq]) => seq <= last).length;
    assert.equal(table.countThrough(last), count, `${what}: countThrough(${last})`);
    assert.equal(table.countThrough(last - 1), count - (model.has(last) ? 1 : 0), what);
  }
}

describe('SeqTable', () => {
  test('holds what a Map holds, in seq order, through any mix of adds and deletes', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const next = random(seed);
      const table = new SeqTable<string>();
      const model = new Map<number, string>();
      let seq = 1 + Math.floor(next() * 1000);
      for (let step = 0; step < 3000; step++) {
        const roll = next();
        if (roll < 0.5 || model.size === 0) {
          // Seqs ascend, sometimes with gaps (a task that could not be sent).
          seq += next() < 0.1 ? 2 + Math.floor(next() * 50) : 1;
          table.set(seq, `t${seq}`);
          model.set(seq, `t${seq}`);
        } else {
          // Mostly the oldest leaves; sometimes any, sometimes one not held.
          const keys = [...model.keys()];
          const victim =
            roll < 0.75
              ? Math.min(...keys)
              : roll < 0.97
                ? (keys[Math.floor(next() * keys.length)] as number)
                : seq + 1000;
          assert.equal(table.delete(victim), model.delete(victim), `seed ${seed} step ${step}`);
        }
        for (const probe of [seq, seq - 1, seq - 17, seq + 1]) {
          assert.equal(
            table.get(probe),
            model.get(probe),
            `seed ${seed} step ${step} get ${probe}`,
          );
          assert.equal(table.has(probe), model.has(probe));
        }
        if (step % 97 === 0) assertSame(table, model, `seed ${seed} step ${step}`);
      }
      assertSame(table, model, `seed ${seed} at the end`);
      table.clear();
      model.clear();
      assertSame(table, model, `seed ${seed} cleared`);
      table.set(5, 't5');
      model.set(5, 't5');
      assertSame(table, model, `seed ${seed} after clear`);
    }
  });

  test('one seq that stays while thousands after it come and go does not widen the ring', () => {
    const table = new SeqTable<string>();
    table.set(1, 'long');
    // 64 short tasks in flight beside it, each leaving in turn as the next comes.
    const churn = (from: number, to: number): void => {
      for (let seq = from; seq < to; seq++) {
        table.set(seq, 'short');
        if (seq - 64 >= from) table.delete(seq - 64);
      }
      for (let seq = Math.max(from, to - 64); seq < to; seq++) table.delete(seq);
    };
    churn(2, 100_000);
    assert.deepEqual([...table], [[1, 'long']]);
    churn(100_000, 500_000);
    table.set(500_000, 'last');
    assert.deepEqual(
      [...table],
      [
        [1, 'long'],
        [500_000, 'last'],
      ],
    );
    assert.equal(table.first(), 1);
    assert.equal(table.get(1), 'long');
    // Had the ring kept every seq since the long one, it would have 500,000 slots or more.
    assert.ok(table.capacity <= 256, `the ring grew with the holes: ${table.capacity} slots`);
  });

  test('entries may be deleted while iterating', () => {
    const table = new SeqTable<number>();
    for (let seq = 10; seq < 40; seq++) table.set(seq, seq);
    const seen: number[] = [];
    for (const [seq] of table) {
      seen.push(seq);
      table.delete(seq);
      if (seq === 20) table.delete(30);
    }
    assert.deepEqual(
      seen,
      [...Array(30).keys()].map((i) => i + 10).filter((s) => s !== 30),
    );
    assert.equal(table.size, 0);
    assert.equal(table.first(), undefined);
  });

  test('a seq below those held (not how the pool adds them) is still kept in order', () => {
    const table = new SeqTable<string>();
    table.set(100, 'a');
    table.set(101, 'b');
    table.set(50, 'c');
    table.set(40, 'd');
    assert.deepEqual([...table.keys()], [40, 50, 100, 101]);
    assert.equal(table.first(), 40);
    assert.equal(table.get(50), 'c');
    table.delete(40);
    assert.equal(table.first(), 50);
  });
});
