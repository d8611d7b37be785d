// What only a process pool does: tasks in processes of their own (chdir, signals, crashes that
// would take a whole program down with threads), its options, and children that never outlive it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';
import {
  BrokenPoolError,
  ProcessPool,
  ProcessPoolExecutor,
  type ThreadExitEvent,
  TimeoutError,
  WorkerExitError,
  wait,
} from 'spindle';
import { delay, rejection, runScript, T, until } from '../helpers.js';

/** Whether a process with this pid exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ProcessPool: tasks in processes of their own', () => {
  const pool = new ProcessPool({ workers: 2, processes: 2 });
  after(() => pool.terminate());

  test('tasks run in child processes, not in this one', T, async () => {
    const pids = await pool.map(
      async (x: number) => {
        // Long enough for the second process to start (Node takes ~0.3 s) while the first is busy.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return [x, process.pid];
      },
      [1, 2, 3, 4],
      1,
    );
    const children = new Set(pids.map(([, pid]) => pid));
    assert.equal(children.has(process.pid), false);
    assert.equal(children.size, 2, 'two processes carry the two slots');
    assert.equal(pool.processes, 2);
    assert.equal(pool.workers, 2);
  });

  test('process.chdir() in a task changes that process only', T, async () => {
    const before = process.cwd();
    const moved = await pool.apply(() => {
      process.chdir('/');
      return process.cwd();
    });
    assert.equal(moved, '/');
    assert.equal(process.cwd(), before);
  });

  test('a task killed by SIGSEGV fails alone; every other task settles', T, async () => {
    const one = new ProcessPool({ workers: 2, processes: 2 });
    try {
      const slow = (x: number) => new Promise((resolve) => setTimeout(() => resolve(x), 200));
      const before = [one.applyAsync(slow, [1]), one.applyAsync(slow, [2])];
      const crash = one.applyAsync(() => process.kill(process.pid, 'SIGSEGV'));
      const after = [3, 4, 5].map((x) => one.applyAsync(slow, [x]));
      const error = await rejection(crash.get());
      assert.ok(error instanceof WorkerExitError);
      assert.equal(error.signal, 'SIGSEGV');
      assert.match(error.message, /killed by SIGSEGV/);
      const outcomes = await Promise.all([...before, ...after].map((r) => r.get()));
      assert.deepEqual(outcomes, [1, 2, 3, 4, 5]);
      assert.equal(one.stats().threads.replaced, 1);
    } finally {
      await one.terminate();
    }
  });

  test('a child killed from outside fails the tasks it ran; the pool goes on', T, async () => {
    const one = new ProcessPool({ workers: 2, processes: 1 });
    const exits: ThreadExitEvent[] = [];
    one.on('threadExit', (event) => exits.push(event));
    try {
      const pid = await one.apply(() => process.pid);
      const running = [1, 2].map(() => one.applyAsync(() => new Promise(() => {})));
      await delay(100);
      process.kill(pid, 'SIGKILL');
      for (const result of running) {
        const error = await rejection(result.get());
        assert.ok(error instanceof WorkerExitError);
        assert.equal(error.signal, 'SIGKILL');
      }
      const next = await one.apply(() => process.pid);
      assert.notEqual(next, pid, 'a new process took its place');
      await until(() => exits.length === 1, 5_000, 'threadExit');
      assert.equal(exits[0]?.reason, 'crash');
    } finally {
      await one.terminate();
    }
  });

  test('what a task prints reaches the pool before its result, in order', T, () => {
    const child = runScript(`
      import { ProcessPool } from 'spindle';
      const pool = new ProcessPool(1);
      const value = await pool.apply(() => {
        console.log('one');
        process.stdout.write('two\\n');
        console.error('three');
        return 'result';
      });
      console.log(value);
      await pool.terminate();
    `);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, 'one\ntwo\nresult\n');
    assert.equal(child.stderr, 'three\n');
  });

  test('an initializer runs in each process, and one that throws breaks the pool', T, async () => {
    await using ready = new ProcessPool({
      workers: 1,
      initializer: (tag: string) => {
        (globalThis as { tag?: string }).tag = `${tag}:${process.pid}`;
      },
      initargs: ['init'],
    });
    const tag = await ready.apply(() => (globalThis as { tag?: string }).tag);
    assert.match(String(tag), /^init:\d+$/);
    await using broken = new ProcessPool({
      workers: 1,
      initializer: () => {
        throw new Error('no database');
      },
    });
    const error = await rejection(broken.apply(() => 1));
    assert.ok(error instanceof BrokenPoolError);
    assert.equal((error.cause as Error).message, 'no database');
  });

  test('maxTasksPerProcess replaces a process after that many tasks', T, async () => {
    await using fresh = new ProcessPool({ workers: 1, maxTasksPerProcess: 2 });
    const pids: number[] = [];
    for (let i = 0; i < 6; i++) pids.push(await fresh.apply(() => process.pid));
    assert.equal(new Set(pids).size, 3);
    assert.equal(pids[0], pids[1]);
    assert.notEqual(pids[1], pids[2]);
  });

  test("a task cannot post on the pool's channel, nor take it down quietly", T, async () => {
    const error = await rejection(pool.apply(() => process.send?.({ t: 'ready' })));
    assert.match((error as Error).message, /process\.send\(\) is not available to tasks/);
    const cut = await rejection(pool.apply(() => process.disconnect()));
    assert.ok(cut instanceof WorkerExitError);
    assert.equal(await pool.apply(() => 'still working'), 'still working');
  });

  test('a SharedArrayBuffer cannot be shared: that task fails, and says so', T, async () => {
    const error = await rejection(pool.apply((x: unknown) => x, [new SharedArrayBuffer(4)]));
    assert.equal((error as Error).name, 'DataCloneError');
    assert.match(
      (error as Error).message,
      /SharedArrayBuffer cannot be shared with another process/,
    );
    assert.equal(await pool.apply(() => 'still working'), 'still working');
  });

  test('buffers in a transfer list leave the caller and are copied to the child', T, async () => {
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const sum = await pool.apply(
      (b: ArrayBuffer) => new Uint8Array(b).reduce((a, x) => a + x, 0),
      [buffer],
      { transfer: [buffer] },
    );
    assert.equal(sum, 6);
    assert.equal(buffer.byteLength, 0, 'detached, as a transfer to a thread leaves it');
  });

  test('a timeout stops a task stuck in synchronous code by replacing its process', T, async () => {
    await using one = new ProcessPool({ workers: 1, abortGrace: 100 });
    const pid = await one.apply(() => process.pid);
    const error = await rejection(
      one.apply(
        () => {
          for (;;);
        },
        [],
        { timeout: 100 },
      ),
    );
    assert.ok(error instanceof TimeoutError);
    assert.notEqual(await one.apply(() => process.pid), pid);
  });

  test('an aborted asynchronous task sees its signal in the child', T, async () => {
    const controller = new AbortController();
    const result = pool.apply(
      async () => {
        const { signal } = await import('spindle/task');
        await new Promise((resolve) => signal().addEventListener('abort', resolve));
        return 'saw it';
      },
      [],
      { signal: controller.signal },
    );
    await delay(300);
    controller.abort(new Error('stop'));
    assert.equal(((await rejection(result)) as Error).message, 'stop');
  });

  test('onProgress hears every value a task reports, before its result', T, async () => {
    const seen: unknown[] = [];
    const value = await pool.apply(
      async () => {
        const { progress } = await import('spindle/task');
        for (let i = 1; i <= 3; i++) progress(i);
        return 'done';
      },
      [],
      { onProgress: (v) => seen.push(v) },
    );
    assert.equal(value, 'done');
    assert.deepEqual(seen, [1, 2, 3]);
  });

  test(
    'out of memory under maxOldGenerationSizeMb fails the task; the pool goes on',
    T,
    async () => {
      await using small = new ProcessPool({
        workers: 1,
        resourceLimits: { maxOldGenerationSizeMb: 32 },
      });
      const error = await rejection(
        small.apply(() => {
          const hoard: number[][] = [];
          for (;;) hoard.push(new Array(100_000).fill(1.5));
        }),
      );
      assert.ok(error instanceof WorkerExitError, String(error));
      assert.equal(await small.apply(() => 'recovered'), 'recovered');
    },
  );
});

describe('ProcessPool: options', () => {
  test('processes is an integer >= 0; 0 runs tasks in this process', T, async () => {
    for (const processes of [-1, 1.5]) {
      assert.throws(() => new ProcessPool({ processes }), RangeError);
    }
    assert.throws(() => new ProcessPool({ processes: '2' as never }), TypeError);
    await using local = new ProcessPool({ workers: 2, processes: 0 });
    assert.equal(local.processes, 0);
    assert.equal(await local.apply(() => process.pid), process.pid);
    const defaults = new ProcessPool(3);
    assert.equal(defaults.processes, Math.min(3, (await import('node:os')).availableParallelism()));
    await defaults.terminate();
  });

  test('options only threads have are a TypeError that says what to use', T, () => {
    const cases: [object, RegExp][] = [
      [{ threads: 2 }, /takes `processes`/],
      [{ maxTasksPerThread: 2 }, /takes `maxTasksPerProcess`/],
      [{ workerEntry: 'x.cjs' }, /`workerEntry` is an option of thread pools/],
      [{ resourceLimits: { stackSizeMb: 4 } }, /limit of worker threads/],
      [
        { nonsense: 1 },
        /Unknown option `nonsense` for ProcessPool; expected one of: workers, processes/,
      ],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => new ProcessPool(options as never), { name: 'TypeError', message });
    }
    assert.throws(() => new ProcessPool({ maxTasksPerProcess: 0 }), RangeError);
    assert.throws(() => new ProcessPoolExecutor({ threadNamePrefix: 'x' } as never), TypeError);
    assert.throws(() => new ProcessPoolExecutor({ processNamePrefix: 3 } as never), TypeError);
    assert.throws(() => new ProcessPoolExecutor('4' as never), TypeError);
  });

  test('the executor names its processes; wait() takes its futures beside others', T, async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 2, processNamePrefix: 'enc' });
    const started: string[] = [];
    executor.on('threadStart', ({ name }) => started.push(name));
    const futures = [1, 2].map((x) => executor.submit((n: number) => n * 10, x));
    const { done } = await wait(futures);
    assert.equal(done.size, 2);
    assert.deepEqual(await Promise.all(futures.map((f) => f.result())), [10, 20]);
    assert.ok(started.every((name) => name.startsWith('enc-')));
    assert.equal(executor.processes, 2);
  });
});

describe('ProcessPool: children never outlive the pool', () => {
  /** Starts a script that makes a pool, prints its children's pids, and then does `end`. */
  async function childrenOf(end: string): Promise<{ pids: number[]; exit: Promise<unknown> }> {
    const script = `
      import { ProcessPool } from 'spindle';
      const pool = new ProcessPool({ workers: 2, processes: 2 });
      const pids = await pool.map(async () => {
        await new Promise((r) => setTimeout(r, 50));
        return process.pid;
      }, [1, 2], 1);
      // One child idle, one busy in synchronous code.
      pool.applyAsync(() => { for (;;); });
      console.log(JSON.stringify(pids));
      ${end}
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exit = new Promise((resolve) => child.once('exit', resolve));
    let out = '';
    for await (const chunk of child.stdout) {
      out += chunk;
      if (out.includes('\n')) break;
    }
    const pids = JSON.parse(out.split('\n')[0] as string) as number[];
    assert.equal(pids.length, 2);
    if (end.includes('SIGKILL_FROM_TEST')) child.kill('SIGKILL');
    return { pids, exit };
  }

  for (const [how, end] of [
    [
      'killed with SIGKILL',
      '/* SIGKILL_FROM_TEST */ await new Promise(() => setInterval(() => {}, 1000));',
    ],
    ['ending by an uncaught error', "setTimeout(() => { throw new Error('parent crash'); }, 100);"],
    ['exiting normally', 'setTimeout(() => process.exit(0), 100);'],
  ] as const) {
    test(`the parent ${how} leaves no child behind`, T, async () => {
      const { pids, exit } = await childrenOf(end);
      await exit;
      await until(() => pids.every((pid) => !alive(pid)), 10_000, 'the children to exit');
    });
  }
});
