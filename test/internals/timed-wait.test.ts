// The one timed wait, and the stop registry, on their own.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StopRegistry } from '../../src/engine/stop-registry.js';
import { timedWait } from '../../src/engine/wakers.js';

const TIMED_OUT = 'timed out';

describe('timedWait', () => {
  test('resolves with what wake is given, and unsubscribes nothing', async () => {
    let wake: ((value: string) => void) | undefined;
    let unsubscribed = false;
    const waiting = timedWait<string>(
      1000,
      (w) => {
        wake = w;
        return () => {
          unsubscribed = true;
        };
      },
      () => TIMED_OUT,
    );
    wake?.('woken');
    wake?.('twice');
    assert.equal(await waiting, 'woken');
    assert.equal(unsubscribed, false);
  });

  test('times out after ms: unsubscribes, then resolves with timedOut() or rejects with its throw', async () => {
    let unsubscribed = 0;
    const subscribe = (): (() => void) => () => {
      unsubscribed++;
    };
    const started = performance.now();
    assert.equal(await timedWait<string>(20, subscribe, () => TIMED_OUT), TIMED_OUT);
    assert.ok(performance.now() - started >= 15);
    await assert.rejects(
      timedWait<string>(5, subscribe, () => {
        throw new RangeError('late');
      }),
      RangeError,
    );
    assert.equal(unsubscribed, 2);
  });

  test('0 does not wait or subscribe; a wake during subscribe sets no timer', async () => {
    let subscribed = false;
    const now = timedWait<string>(
      0,
      () => {
        subscribed = true;
        return () => {};
      },
      () => TIMED_OUT,
    );
    assert.equal(await now, TIMED_OUT);
    assert.equal(subscribed, false);
    const early = timedWait<string>(
      10,
      (wake) => {
        wake('at once');
        return () => assert.fail('a woken wait is not unsubscribed by a timer');
      },
      () => TIMED_OUT,
    );
    assert.equal(await early, 'at once');
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  test('Infinity sets no timer: a wait nobody wakes does not hold the process', async () => {
    let wake: ((value: string) => void) | undefined;
    const waiting = timedWait<string>(
      Number.POSITIVE_INFINITY,
      (w) => {
        wake = w;
        return () => {};
      },
      () => TIMED_OUT,
    );
    setTimeout(() => wake?.('late'), 30);
    assert.equal(await waiting, 'late');
  });
});

describe('StopRegistry', () => {
  test('calls each listener once, forgets them, and reports what a listener throws', () => {
    const reported: unknown[] = [];
    const registry = new StopRegistry((error) => reported.push(error));
    const heard: unknown[] = [];
    registry.add((error) => heard.push(['a', error]));
    const leave = registry.add((error) => heard.push(['b', error]));
    registry.add(() => {
      throw new Error('listener threw');
    });
    registry.add((error) => heard.push(['c', error]));
    leave();
    registry.stop('stopped');
    registry.stop('again');
    assert.deepEqual(heard, [
      ['a', 'stopped'],
      ['c', 'stopped'],
    ]);
    assert.equal((reported[0] as Error).message, 'listener threw');
  });
});
