// The process-wide count of awake threads (src/protocol/activity.ts), which decides whether an
// idle thread may watch for its next message: a thread that dies awake must not leave it
// counted, or no thread of the process would ever watch again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AWAKE,
  countAsleep,
  countAwake,
  forgetThread,
  othersAwake,
  processActivity,
} from '../../src/protocol/activity.js';
import { CONTROL_WORDS } from '../../src/protocol/control-words.js';

describe('awake-thread accounting', () => {
  const activity = new Int32Array(processActivity());
  const control = () => new Int32Array(CONTROL_WORDS);

  test('a thread counts itself in and out; others see it', () => {
    const before = Atomics.load(activity, AWAKE);
    const a = control();
    const b = control();
    countAwake(activity, a);
    assert.equal(othersAwake(activity), before);
    countAwake(activity, b);
    assert.equal(othersAwake(activity), before + 1);
    countAsleep(activity, b);
    countAsleep(activity, a);
    assert.equal(Atomics.load(activity, AWAKE), before);
    // Exited asleep: nothing to take back.
    forgetThread(a);
    assert.equal(Atomics.load(activity, AWAKE), before);
  });

  test('a thread that exits awake is counted out by the main thread, once', () => {
    const before = Atomics.load(activity, AWAKE);
    const dead = control();
    countAwake(activity, dead);
    assert.equal(Atomics.load(activity, AWAKE), before + 1);
    forgetThread(dead);
    assert.equal(Atomics.load(activity, AWAKE), before);
    forgetThread(dead);
    assert.equal(Atomics.load(activity, AWAKE), before);
  });
});
