// wait() and asCompleted(): CPython's test_wait.py and test_as_completed.py, on futures of
// executors and futures made by hand, mixed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ALL_COMPLETED,
  asCompleted,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type Future,
  ThreadPoolExecutor,
  TimeoutError,
  wait,
} from 'spindle';
import {
  cancelledFuture,
  divmod,
  Event,
  exceptionFuture,
  gc,
  mul,
  pendingFuture,
  rejection,
  runningFuture,
  sleep,
  successfulFuture,
  T,
  waitAndRaise,
  waitEvent,
} from '../helpers.js';

// One executor for the whole file (threads take a while to start under tsx); each test sets the
// events it created, so no call is left waiting.
let executor: ThreadPoolExecutor;
before(async () => {
  executor = new ThreadPoolExecutor({ maxWorkers: 8, threads: 2 });
  await Promise.all([executor.submit(sleep, 20), executor.submit(sleep, 20)]);
});
after(() => executor.shutdown());

describe('wait()', () => {
  test('duplicates count once (test_20369)', T, async () => {
    const future = executor.submit(mul, 1, 2);
    const result = await wait([future, future], { returnWhen: ALL_COMPLETED });
    assert.deepEqual(result, { done: new Set([future]), notDone: new Set() });
    // Like Python's named tuple, it also unpacks as [done, notDone].
    const [done, notDone] = result;
    assert.deepEqual(done, new Set([future]));
    assert.deepEqual(notDone, new Set());
  });

  test('FIRST_COMPLETED (test_first_completed)', T, async () => {
    const event = new Event();
    const cancelled = cancelledFuture();
    const future1 = executor.submit(mul, 21, 2);
    const future2 = executor.submit(waitEvent, event.sab);
    try {
      const pending = pendingFuture();
      const { done, notDone } = await wait([pending, future1, future2], {
        returnWhen: FIRST_COMPLETED,
      });
      assert.deepEqual(done, new Set([future1]));
      assert.deepEqual(notDone, new Set([pending, future2]));
      // A cancelled future is done: it satisfies FIRST_COMPLETED at once.
      const again = await wait([cancelled, future2], { returnWhen: FIRST_COMPLETED });
      assert.deepEqual(again.done, new Set([cancelled]));
    } finally {
      event.set();
    }
    await future2.result();
  });

  test('FIRST_COMPLETED with some already completed', T, async () => {
    const event = new Event();
    const cancelled = cancelledFuture();
    const successful = successfulFuture();
    const future1 = executor.submit(waitEvent, event.sab);
    try {
      const { done, notDone } = await wait([cancelled, successful, future1], {
        returnWhen: FIRST_COMPLETED,
      });
      assert.deepEqual(done, new Set([cancelled, successful]));
      assert.deepEqual(notDone, new Set([future1]));
    } finally {
      event.set();
    }
    await future1.result();
  });

  test('FIRST_EXCEPTION (test_first_exception)', T, async () => {
    const event1 = new Event();
    const event2 = new Event();
    try {
      const future1 = executor.submit(mul, 2, 21);
      const future2 = executor.submit(waitAndRaise, event1.sab);
      const future3 = executor.submit(waitEvent, event2.sab);
      // future1 completes before future2 raises.
      future1.addDoneCallback(() => event1.set());
      const { done, notDone } = await wait([future1, future2, future3], {
        returnWhen: FIRST_EXCEPTION,
      });
      assert.deepEqual(done, new Set([future1, future2]));
      assert.deepEqual(notDone, new Set([future3]));
      event2.set();
      await future3.result();
    } finally {
      event1.set();
      event2.set();
    }
  });

  test('FIRST_EXCEPTION with some already complete; cancelled is not an exception', T, async () => {
    const event = new Event();
    const successful = successfulFuture();
    const cancelled = cancelledFuture();
    const future1 = executor.submit(divmod, 21, 0);
    const future2 = executor.submit(waitEvent, event.sab);
    try {
      const { done, notDone } = await wait([successful, cancelled, future1, future2], {
        returnWhen: FIRST_EXCEPTION,
      });
      assert.deepEqual(done, new Set([successful, cancelled, future1]));
      assert.deepEqual(notDone, new Set([future2]));
    } finally {
      event.set();
    }
    await future2.result();
    // Only cancelled futures and successes: FIRST_EXCEPTION waits for all (ALL_COMPLETED).
    const slow = executor.submit(sleep, 50);
    const quick = executor.submit(sleep, 1);
    quick.cancel();
    const all = await wait([cancelledFuture(), quick, slow], { returnWhen: FIRST_EXCEPTION });
    assert.equal(all.notDone.size, 0);
  });

  test('FIRST_EXCEPTION with one already failed', T, async () => {
    const event = new Event();
    const failed = exceptionFuture();
    const future1 = executor.submit(waitEvent, event.sab);
    try {
      const { done, notDone } = await wait([failed, future1], { returnWhen: FIRST_EXCEPTION });
      assert.deepEqual(done, new Set([failed]));
      assert.deepEqual(notDone, new Set([future1]));
    } finally {
      event.set();
    }
    await future1.result();
  });

  test('ALL_COMPLETED (test_all_completed), the default', T, async () => {
    const fixtures = [successfulFuture(), cancelledFuture(), exceptionFuture()];
    const future1 = executor.submit(divmod, 2, 0);
    const future2 = executor.submit(mul, 2, 21);
    const { done, notDone } = await wait([...fixtures, future1, future2], {
      returnWhen: ALL_COMPLETED,
    });
    assert.deepEqual(done, new Set([...fixtures, future1, future2]));
    assert.deepEqual(notDone, new Set());
    const future3 = executor.submit(sleep, 10);
    assert.deepEqual((await wait([future3])).done, new Set([future3]));
  });

  test('timeout: resolves with what is done (test_timeout)', T, async () => {
    const event = new Event();
    const fixtures = [cancelledFuture(), exceptionFuture(), successfulFuture()];
    const future = executor.submit(waitEvent, event.sab);
    try {
      const started = performance.now();
      const { done, notDone } = await wait([...fixtures, future], {
        timeout: 50,
        returnWhen: ALL_COMPLETED,
      });
      assert.ok(performance.now() - started >= 45);
      assert.deepEqual(done, new Set(fixtures));
      assert.deepEqual(notDone, new Set([future]));
      // A number is the timeout; 0 does not wait.
      assert.deepEqual(
        (await wait([future, fixtures[0] as Future<number>], 0)).notDone,
        new Set([future]),
      );
    } finally {
      event.set();
    }
    await future.result();
  });

  test('many futures finishing together (test_pending_calls_race)', T, async () => {
    const event = new Event();
    const fs = new Set(Array.from({ length: 100 }, () => executor.submit(waitEvent, event.sab)));
    event.set();
    const { done, notDone } = await wait(fs, { returnWhen: ALL_COMPLETED });
    assert.equal(done.size, 100);
    assert.equal(notDone.size, 0);
  });

  test('futures of several executors', T, async () => {
    await using other = new ThreadPoolExecutor({ maxWorkers: 1, threads: 0 });
    const a = executor.submit(sleep, 30);
    const b = other.submit(async () => 'local');
    const { done } = await wait([a, b]);
    assert.deepEqual(done, new Set([a, b]));
  });

  test('arguments are validated synchronously', T, () => {
    assert.throws(() => wait([Promise.resolve(1)] as never), TypeError);
    assert.throws(() => wait(42 as never), TypeError);
    assert.throws(() => wait([], { returnWhen: 'FIRST' as never }), RangeError);
    assert.throws(() => wait([], { returnWhen: 1 as never }), TypeError);
    assert.throws(() => wait([], { timeout: -1 }), RangeError);
    assert.throws(() => wait([], { when: 1 } as never), TypeError);
  });
});

describe('asCompleted()', () => {
  test('yields every future, the done ones first (test_no_timeout)', T, async () => {
    const fixtures = [cancelledFuture(), exceptionFuture(), successfulFuture()];
    const future1 = executor.submit(mul, 2, 21);
    const future2 = executor.submit(mul, 7, 6);
    const completed: Future<number>[] = [];
    for await (const future of asCompleted([...fixtures, future1, future2])) completed.push(future);
    assert.deepEqual(completed.slice(0, 3), fixtures);
    assert.deepEqual(new Set(completed), new Set([...fixtures, future1, future2]));
    assert.equal(await future1, 42);
  });

  test('in completion order, the futures themselves', T, async () => {
    const futures = [400, 50, 200].map((ms) => executor.submit(sleep, ms));
    const order: number[] = [];
    for await (const future of asCompleted(futures)) order.push(await future.result());
    assert.deepEqual(order, [50, 200, 400]);
  });

  test(
    'TimeoutError when the timeout passes with futures left (test_future_times_out)',
    T,
    async () => {
      for (const timeout of [0, 100]) {
        const alreadyCompleted = new Set([
          cancelledFuture(),
          exceptionFuture(),
          successfulFuture(),
        ]);
        const future = executor.submit(sleep, 1_000);
        const completed = new Set<Future<number>>();
        const error = await rejection(
          (async () => {
            for await (const f of asCompleted([...alreadyCompleted, future], { timeout })) {
              completed.add(f);
            }
          })(),
        );
        assert.ok(error instanceof TimeoutError, String(error));
        assert.equal(error.message, '1 (of 4) futures unfinished');
        assert.deepEqual(completed, alreadyCompleted);
        future.cancel();
      }
    },
  );

  test(
    'the timeout message counts what is left (test_correct_timeout_exception_msg)',
    T,
    async () => {
      const futures = [cancelledFuture(), pendingFuture(), runningFuture(), successfulFuture()];
      const it = asCompleted(futures, 0);
      await it.next();
      await it.next();
      const error = await rejection(it.next());
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.message, '2 (of 4) futures unfinished');
      assert.equal((await it.next()).done, true);
    },
  );

  test('duplicates are yielded once (test_duplicate_futures)', T, async () => {
    const future1 = executor.submit(sleep, 50);
    const completed: Future<number>[] = [];
    const repeated = function* () {
      for (let i = 0; i < 3; i++) yield future1;
    };
    for await (const f of asCompleted(repeated())) completed.push(f);
    assert.deepEqual(completed, [future1]);
  });

  test(
    'no reference is kept to a yielded future (test_free_reference_yielded_future)',
    T,
    async () => {
      // Futures made in a function of their own, so that no frame of this test holds them; each
      // is taken in a function of its own too.
      const make = () => {
        const list: Future<string | number>[] = Array.from({ length: 8 }, () => pendingFuture());
        list.push(cancelledFuture(), successfulFuture());
        return list;
      };
      const futuresList = make();
      const take = async (it: AsyncIterator<Future<string | number>>) => {
        const { value } = await it.next();
        if (!value) return undefined;
        futuresList.splice(futuresList.indexOf(value), 1);
        return new WeakRef(value);
      };
      const first = asCompleted(futuresList, { timeout: 0 });
      for (let i = 0; i < 2; i++) {
        const ref = await take(first);
        await gc();
        assert.equal(ref?.deref(), undefined);
      }
      assert.ok((await rejection(first.next())) instanceof TimeoutError);

      futuresList[0]?.setResult('test');
      const second = asCompleted(futuresList);
      for (let ref = await take(second); ref; ref = await take(second)) {
        await gc();
        assert.equal(ref.deref(), undefined);
        futuresList[0]?.setResult('test');
      }
      assert.equal(futuresList.length, 0);
    },
  );

  test('futures of several executors, and return() stops watching', T, async () => {
    await using other = new ThreadPoolExecutor({ maxWorkers: 2, threads: 0 });
    const a = executor.submit(sleep, 60);
    const b = other.submit(sleep, 10);
    const it = asCompleted([a, b]);
    assert.equal((await it.next()).value, b);
    await it.return();
    assert.equal((await it.next()).done, true);
    await a;
  });

  test('arguments are validated synchronously', T, () => {
    assert.throws(() => asCompleted([42] as never), TypeError);
    assert.throws(() => asCompleted(null as never), TypeError);
    assert.throws(() => asCompleted([], { timeout: -5 }), RangeError);
    assert.throws(() => asCompleted([], { returnWhen: FIRST_COMPLETED } as never), TypeError);
  });
});
