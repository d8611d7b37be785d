// Future: the state machine of CPython's test_future.py, on futures made by hand and on futures
// of an executor.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  CancelledError,
  Future,
  InvalidStateError,
  ThreadPoolExecutor,
  TimeoutError,
} from 'spindle';
import {
  cancelledFuture,
  delay,
  Event,
  exceptionFuture,
  pendingFuture,
  rejection,
  runningFuture,
  successfulFuture,
  T,
  until,
  waitEvent,
} from '../helpers.js';

describe('Future: states', () => {
  test('cancel() (test_cancel)', T, () => {
    const f1 = pendingFuture();
    const f2 = runningFuture();
    const f3 = cancelledFuture();
    const f5 = exceptionFuture();
    const f6 = successfulFuture();
    assert.equal(f1.cancel(), true);
    assert.equal(f1.cancelled(), true);
    assert.equal(f2.cancel(), false);
    assert.equal(f2.running(), true);
    assert.equal(f3.cancel(), true);
    assert.equal(f3.cancelled(), true);
    assert.equal(f5.cancel(), false);
    assert.equal(f5.done(), true);
    assert.equal(f6.cancel(), false);
    assert.equal(f6.cancelled(), false);
  });

  test('cancelled(), done(), running() (test_cancelled, test_done, test_running)', T, () => {
    const table: [Future<number>, boolean, boolean, boolean][] = [
      // future, cancelled, done, running
      [pendingFuture(), false, false, false],
      [runningFuture(), false, false, true],
      [cancelledFuture(), true, true, false],
      [exceptionFuture(), false, true, false],
      [successfulFuture(), false, true, false],
    ];
    for (const [future, cancelled, done, running] of table) {
      assert.equal(future.cancelled(), cancelled, inspect(future));
      assert.equal(future.done(), done, inspect(future));
      assert.equal(future.running(), running, inspect(future));
    }
  });

  test('result(0) (test_result_with_timeout)', T, async () => {
    assert.ok((await rejection(pendingFuture().result(0))) instanceof TimeoutError);
    assert.ok((await rejection(runningFuture().result(0))) instanceof TimeoutError);
    assert.ok((await rejection(cancelledFuture().result(0))) instanceof CancelledError);
    assert.equal(((await rejection(exceptionFuture().result(0))) as Error).name, 'OSError');
    assert.equal(await successfulFuture().result(0), 42);
  });

  test('result(timeout) waits for a later result or cancel', T, async () => {
    const f1 = pendingFuture();
    setTimeout(() => f1.setResult(42), 50);
    assert.equal(await f1.result(5_000), 42);
    const f2 = pendingFuture();
    setTimeout(() => f2.cancel(), 50);
    assert.ok((await rejection(f2.result(5_000))) instanceof CancelledError);
    const f3 = pendingFuture();
    const started = performance.now();
    assert.ok((await rejection(f3.result(50))) instanceof TimeoutError);
    assert.ok(performance.now() - started >= 45);
  });

  test(
    'result() with no timeout, asked while pending: the result, the error or CancelledError',
    T,
    async () => {
      const f1 = pendingFuture();
      const r1 = f1.result();
      f1.setResult(42);
      assert.equal(await r1, 42);
      const f2 = pendingFuture();
      const r2 = f2.result();
      f2.setException(new RangeError('later'));
      assert.ok((await rejection(r2)) instanceof RangeError);
      const f3 = pendingFuture();
      const r3 = f3.result();
      assert.equal(f3.cancel(), true);
      assert.ok((await rejection(r3)) instanceof CancelledError);
      const executor = new ThreadPoolExecutor(1);
      try {
        const failing = executor.submit(async () => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          throw new TypeError('from the thread');
        });
        const error = await rejection(failing.result());
        assert.ok(error instanceof TypeError);
        assert.match((error as Error).message, /from the thread/);
      } finally {
        await executor.shutdown();
      }
    },
  );

  test('exception(0) (test_exception_with_timeout)', T, async () => {
    assert.ok((await rejection(pendingFuture().exception(0))) instanceof TimeoutError);
    assert.ok((await rejection(runningFuture().exception(0))) instanceof TimeoutError);
    assert.ok((await rejection(cancelledFuture().exception(0))) instanceof CancelledError);
    assert.equal(((await exceptionFuture().exception(0)) as Error).name, 'OSError');
    assert.equal(await successfulFuture().exception(0), null);
    const f1 = pendingFuture();
    setTimeout(() => f1.setException(new RangeError('later')), 50);
    assert.ok((await f1.exception(5_000)) instanceof RangeError);
  });

  test('settling twice is an InvalidStateError (test_multiple_set_result)', T, async () => {
    const f = pendingFuture();
    f.setResult(1);
    assert.throws(() => f.setResult(2), InvalidStateError);
    assert.throws(() => f.setException(new Error('late')), InvalidStateError);
    assert.equal(f.done(), true);
    assert.equal(await f.result(), 1);
    const g = pendingFuture();
    const error = new RangeError('first');
    g.setException(error);
    assert.throws(() => g.setException(new Error('second')), InvalidStateError);
    assert.equal(await g.exception(), error);
    const c = cancelledFuture();
    assert.throws(() => c.setResult(1), InvalidStateError);
    assert.equal(c.setRunningOrNotifyCancel(), false);
    assert.throws(() => runningFuture().setRunningOrNotifyCancel(), InvalidStateError);
  });

  test('timeouts are validated', T, () => {
    const f = pendingFuture();
    assert.throws(() => f.result(-1), RangeError);
    assert.throws(() => f.result('1' as never), TypeError);
    assert.throws(() => f.exception(1.5), RangeError);
    assert.throws(() => f.addDoneCallback(42 as never), TypeError);
  });

  test('inspect() shows the state', T, () => {
    assert.equal(inspect(pendingFuture()), 'Future <state=pending>');
    assert.equal(inspect(runningFuture()), 'Future <state=running>');
    assert.equal(inspect(cancelledFuture()), 'Future <state=cancelled>');
    assert.equal(inspect(exceptionFuture()), 'Future <state=finished raised OSError>');
    assert.equal(inspect(successfulFuture()), 'Future <state=finished returned number>');
    assert.equal(Object.prototype.toString.call(pendingFuture()), '[object Future]');
  });
});

describe('Future: done callbacks', () => {
  test('called with the future on result, exception and cancel', T, async () => {
    let result: unknown;
    const f1 = new Future<number>();
    f1.addDoneCallback(async (f) => {
      result = await f.result();
    });
    f1.setResult(5);
    await delay(0);
    assert.equal(result, 5);

    let exception: unknown;
    const f2 = new Future<number>();
    f2.addDoneCallback((f) => {
      assert.equal(f, f2);
      void f.exception().then((e) => {
        exception = e;
      });
    });
    f2.setException(new Error('test'));
    await delay(0);
    assert.equal((exception as Error).message, 'test');

    let wasCancelled: boolean | undefined;
    const f3 = new Future<number>();
    f3.addDoneCallback((f) => {
      wasCancelled = f.cancelled();
    });
    assert.equal(f3.cancel(), true);
    assert.equal(wasCancelled, true);
  });

  test('called at once, in order, when already done', T, () => {
    const calls: string[] = [];
    for (const [name, future] of [
      ['successful', successfulFuture()],
      ['failed', exceptionFuture()],
      ['cancelled', cancelledFuture()],
    ] as const) {
      future.addDoneCallback((f) => calls.push(`${name} ${f.done()}`));
    }
    assert.deepEqual(calls, ['successful true', 'failed true', 'cancelled true']);
  });

  test(
    'a raising callback is reported and the others still run (test_done_callback_raises)',
    T,
    async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        let raisingWasCalled = false;
        let fnWasCalled = false;
        const f = new Future<number>();
        f.addDoneCallback(() => {
          raisingWasCalled = true;
          throw new Error('doh!');
        });
        f.addDoneCallback(() => {
          fnWasCalled = true;
        });
        f.setResult(5);
        assert.ok(raisingWasCalled);
        assert.ok(fnWasCalled);
        assert.equal(await f.result(), 5);
        // Already done: called at once, and reported the same way.
        f.addDoneCallback(() => {
          throw new Error('doh again');
        });
        await until(() => warnings.length >= 2, 2_000, 'the warnings');
        assert.match(warnings[0]?.message ?? '', /doh!/);
        assert.match(warnings[1]?.message ?? '', /doh again/);
      } finally {
        process.off('warning', onWarning);
      }
    },
  );
});

describe('Future: PromiseLike', () => {
  test('await, then, catch, finally', T, async () => {
    assert.equal(await successfulFuture(), 42);
    assert.equal(await successfulFuture().then((x) => x + 1), 43);
    assert.equal(((await rejection(exceptionFuture())) as Error).name, 'OSError');
    assert.equal(await exceptionFuture().catch(() => 'caught'), 'caught');
    assert.ok((await rejection(cancelledFuture())) instanceof CancelledError);
    let finalized = false;
    assert.equal(
      await successfulFuture().finally(() => {
        finalized = true;
      }),
      42,
    );
    assert.ok(finalized);
    const pending = pendingFuture();
    const all = Promise.all([pending, pending.then((x) => x * 2)]);
    pending.setResult(21);
    assert.deepEqual(await all, [21, 42]);
  });

  test('failed futures nobody awaits cause no unhandled rejection', T, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
      const futures = [1, 2, 3].map((i) =>
        executor.submit((x: number) => {
          throw new Error(`failed ${x}`);
        }, i),
      );
      const queued = executor.submit(() => 0);
      queued.cancel();
      exceptionFuture();
      cancelledFuture();
      await executor.shutdown();
      await delay(20);
      assert.deepEqual(unhandled, []);
      assert.ok(futures.every((f) => f.done()));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('Future: on an executor', () => {
  test('PENDING → RUNNING → FINISHED', T, async () => {
    const event = new Event();
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const future = executor.submit(waitEvent, event.sab, 'finished');
    assert.equal(future.running(), false);
    assert.equal(future.done(), false);
    assert.ok(inspect(future).startsWith('Future <'));
    await until(() => future.running(), 5_000, 'the call to start');
    assert.equal(inspect(future), 'Future <state=running>');
    assert.equal(future.done(), false);
    assert.throws(() => future.setResult('too early'), InvalidStateError);
    assert.throws(() => future.setRunningOrNotifyCancel(), InvalidStateError);
    event.set();
    assert.equal(await future.result(), 'finished');
    assert.equal(future.running(), false);
    assert.equal(future.done(), true);
    assert.equal(future.cancelled(), false);
    assert.equal(inspect(future), 'Future <state=finished returned string>');
  });

  test('PENDING → CANCELLED, and a cancelled call never runs', T, async () => {
    const event = new Event();
    const ran = new Int32Array(new SharedArrayBuffer(4));
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const blocker = executor.submit(waitEvent, event.sab);
    const queued = executor.submit((sab: SharedArrayBuffer) => {
      Atomics.store(new Int32Array(sab), 0, 1);
    }, ran.buffer as SharedArrayBuffer);
    const callbacks: boolean[] = [];
    queued.addDoneCallback((f) => callbacks.push(f.cancelled()));
    assert.equal(queued.cancel(), true);
    assert.deepEqual(callbacks, [true]);
    assert.ok((await rejection(queued.result())) instanceof CancelledError);
    assert.ok((await rejection(queued.exception())) instanceof CancelledError);
    event.set();
    await blocker;
    await executor.shutdown();
    assert.equal(ran[0], 0);
  });

  test('cancel races: a call is either cancelled or runs, never both', T, async () => {
    const ran = new Int32Array(new SharedArrayBuffer(4 * 200));
    await using executor = new ThreadPoolExecutor({ maxWorkers: 4 });
    await executor.submit(() => 0); // Threads up, so that cancels race with starts.
    const mark = (sab: SharedArrayBuffer, i: number) => {
      Atomics.add(new Int32Array(sab), i, 1);
    };
    const futures = Array.from({ length: 200 }, (_, i) =>
      executor.submit(mark, ran.buffer as SharedArrayBuffer, i),
    );
    const outcomes: boolean[] = [];
    for (let i = 0; i < futures.length; i++) {
      if (i % 10 === 0) await delay(1);
      outcomes.push((futures[i] as Future<void>).cancel());
    }
    await executor.shutdown();
    for (let i = 0; i < futures.length; i++) {
      const future = futures[i] as Future<void>;
      assert.ok(future.done());
      assert.equal(future.cancelled(), outcomes[i]);
      assert.equal(ran[i], outcomes[i] ? 0 : 1, `call ${i}`);
    }
  });
});
