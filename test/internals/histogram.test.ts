// The duration histogram of the pool's stats on its own: exact count, sum, min and max; buckets
// exact below 256 µs and within 1% above; percentiles by rank; values past 2^31 µs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DurationHistogram } from '../../src/engine/histogram.js';

/** The value of rank ceil(p% of n) in the sorted values: what a percentile stands for. */
function exact(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number;
}

describe('DurationHistogram', () => {
  test('empty: zeros', () => {
    const h = new DurationHistogram();
    assert.equal(h.count, 0);
    assert.equal(h.mean, 0);
    assert.equal(h.percentile(50), 0);
  });

  test('small values are exact; count, mean, min and max are exact', () => {
    const h = new DurationHistogram();
    for (const v of [3, 1, 2, 200, 7]) h.record(v);
    assert.equal(h.count, 5);
    assert.equal(h.min, 1);
    assert.equal(h.max, 200);
    assert.equal(h.mean, 213 / 5);
    assert.equal(h.percentile(50), 3);
    assert.equal(h.percentile(80), 7);
    assert.equal(h.percentile(100), 200);
    assert.equal(h.percentile(0), 1);
  });

  test('percentiles within 1% of the value of that rank, over many magnitudes', () => {
    const h = new DurationHistogram();
    const values: number[] = [];
    let seed = 12345;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      // Log-uniform from 1 µs to about 17 minutes.
      const v = Math.round(Math.exp((seed / 2 ** 31) * Math.log(1e9)));
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 99, 99.9]) {
      const want = exact(values, p);
      const got = h.percentile(p);
      assert.ok(Math.abs(got - want) <= Math.max(1, want * 0.01), `p${p}: ${got} vs ${want}`);
    }
    assert.equal(h.min, values[0]);
    assert.equal(h.max, values[values.length - 1]);
  });

  test('bucket edges: every value lands in a bucket that holds it', () => {
    for (const v of [255, 256, 257, 383, 511, 512, 513, 1023, 1024, 65535, 65536, 2 ** 31 - 1]) {
      const h = new DurationHistogram();
      h.record(v);
      h.record(v);
      // With one distinct value, min and max clamp the bucket's middle to it.
      assert.equal(h.percentile(50), v);
      const mixed = new DurationHistogram();
      mixed.record(1);
      mixed.record(v);
      mixed.record(10 ** 12);
      const mid = mixed.percentile(50);
      assert.ok(Math.abs(mid - v) <= v * 0.008 + 0.5, `${v}: ${mid}`);
    }
  });

  test('values past 2^31 µs, fractions and negatives', () => {
    const h = new DurationHistogram();
    h.record(5e12);
    h.record(3e9);
    h.record(-4);
    h.record(2.6);
    assert.equal(h.count, 4);
    assert.equal(h.min, 0);
    assert.equal(h.max, 5e12);
    const p75 = h.percentile(75);
    assert.ok(Math.abs(p75 - 3e9) <= 3e9 * 0.008, String(p75));
    assert.equal(h.percentile(50), 3);
  });
});
