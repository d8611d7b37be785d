// The pace a thread is credited with decides how many tasks it may hold beyond its slots.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ThreadWatch } from '../../src/engine/thread-watch.js';

describe('ThreadWatch pace', () => {
  test('results of slow async tasks arriving in two messages close together earn no read-ahead', async () => {
    const watch = new ThreadWatch();
    watch.sent(true);
    await delay(20);
    // Two tasks that ran side by side for 20 ms end together; their results come a few
    // microseconds apart. Counted over that gap they would look like thousands a second.
    watch.finished(1, false);
    watch.finished(1, false);
    await delay(20);
    watch.finished(2, false);
    assert.equal(watch.readAhead(false), 0);
  });

  test('nor when the last of them arrives as the thread goes idle: counted over the whole spell', async () => {
    const watch = new ThreadWatch();
    watch.sent(true);
    await delay(20);
    // The first result makes a sample (1 task in 20 ms); the second comes a moment later with
    // nothing left outstanding. Counted over that moment, it would open a read-ahead window that
    // lets this thread hoard the next map's slow chunks.
    watch.finished(1, false);
    watch.finished(1, true);
    assert.equal(watch.readAhead(false), 0);
    // Many such spells do not add up to a window either.
    for (let spell = 0; spell < 5; spell++) {
      watch.sent(true);
      await delay(5);
      watch.finished(1, false);
      watch.finished(1, true);
    }
    assert.equal(watch.readAhead(false), 0);
  });

  test('a thread that finishes a batch of quick tasks at once earns a read-ahead', () => {
    const watch = new ThreadWatch();
    watch.sent(true);
    watch.finished(64, true);
    assert.ok(watch.readAhead(false) > 0, `read-ahead ${watch.readAhead(false)}`);
  });

  test('a long synchronous task earns one task of read-ahead, a slow pace none', async () => {
    const watch = new ThreadWatch();
    watch.sent(true);
    await delay(10);
    watch.finished(1, true);
    assert.equal(watch.readAhead(false), 0);
    assert.equal(watch.readAhead(true), 1);
  });
});
