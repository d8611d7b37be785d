/**
 * The leak run of issue 6, in a child process started with --expose-gc (by leaks.test.ts):
 *
 * 1. Cycles: SPINDLE_LEAK_CYCLES (default 1,000) pools and executors are created, used with every
 *    method (some with a task that kills its thread, some with tasks cut off by terminate()), and
 *    stopped every way (terminate, close + join, await using, shutdown). Measured: RSS and heap
 *    growth after a warm-up, OS threads and active handles at the end.
 * 2. References (CPython's test_release_task_refs): the arguments and results of finished tasks
 *    are not kept alive by the pool, for every method, on worker threads and with threads: 0,
 *    for failed and cancelled tasks too; checked with WeakRefs and a FinalizationRegistry.
 * 3. Inside a thread: a thread that has run many tasks with large arguments and results holds
 *    none of them (its own heap, measured in the thread after gc()).
 *
 * It prints one result line and must exit by itself.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CancelledError,
  type IMapIterator,
  ThreadPool,
  ThreadPoolExecutor,
  WorkerExitError,
} from 'spindle';
import { intFromEnv, osThreads, printResult, Rng, seedFromEnv, threadsSettle } from './harness.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await delay(10);
  }
}

const MB = 1024 * 1024;
const problems: string[] = [];

// ---- 1. cycles ------------------------------------------------------------------------------------

async function cycle(rng: Rng, i: number): Promise<void> {
  const kind = rng.weighted({ pool: 6, local: 2, executor: 2 });
  const inputs = Array.from({ length: rng.int(1, 20) }, (_, k) => ({ k, text: 'x'.repeat(100) }));
  const expected = inputs.map((item) => item.k);
  const check = (got: unknown, what: string): void => {
    if (JSON.stringify(got) !== JSON.stringify(expected))
      problems.push(`cycle ${i} ${what}: ${JSON.stringify(got)}`);
  };
  const key = (item: { k: number }): number => item.k;
  if (kind === 'executor') {
    const executor = new ThreadPoolExecutor({ maxWorkers: rng.int(1, 4), threads: rng.int(1, 2) });
    const futures = inputs.map((item) => executor.submit(key, item));
    check(await Promise.all(futures.map((f) => f.result())), 'submit');
    const mapped: unknown[] = [];
    for await (const value of executor.map(key, inputs)) mapped.push(value);
    check(mapped, 'executor.map');
    if (rng.chance(0.5)) await executor.shutdown();
    else await executor[Symbol.asyncDispose]();
    return;
  }
  const pool = new ThreadPool({
    workers: rng.int(1, 4),
    threads: kind === 'local' ? 0 : rng.int(1, 2),
  });
  check(await pool.map(key, inputs, rng.int(1, 5)), 'map');
  check(
    await pool.starmap(
      key,
      inputs.map((item) => [item] as [typeof item]),
    ),
    'starmap',
  );
  check(await Promise.all(inputs.map((item) => pool.applyAsync(key, [item]))), 'applyAsync');
  const ordered: unknown[] = [];
  for await (const value of pool.imap(key, inputs)) ordered.push(value);
  check(ordered, 'imap');
  let unordered = 0;
  for await (const _ of pool.imapUnordered(key, inputs, 2)) unordered++;
  if (unordered !== inputs.length) problems.push(`cycle ${i} imapUnordered: ${unordered} results`);
  if (kind === 'pool' && rng.chance(0.1)) {
    // A thread dies; its replacement serves, and then it too must go away.
    const died = await pool.apply(() => process.exit(5)).catch((error: unknown) => error);
    if (!(died instanceof WorkerExitError)) problems.push(`cycle ${i}: exit gave ${String(died)}`);
    if ((await pool.apply(() => 'again')) !== 'again')
      problems.push(`cycle ${i}: no service after exit`);
  }
  const ending = rng.pick(['terminate', 'close', 'dispose', 'cut'] as const);
  if (ending === 'cut') {
    // Tasks still running when the pool is terminated.
    // (With threads: 0 it runs on this thread, which terminate() cannot stop: its timer must not
    // keep the process alive.)
    const cut = pool.applyAsync(
      () => new Promise((resolve) => setTimeout(resolve, 60_000).unref()),
    );
    await delay(1);
    await pool.terminate();
    const error = await cut.get().catch((e: unknown) => e);
    if (!(error instanceof CancelledError))
      problems.push(`cycle ${i}: cut task gave ${String(error)}`);
  } else if (ending === 'terminate') {
    await pool.terminate();
  } else if (ending === 'close') {
    pool.close();
    await pool.join();
  } else {
    await pool[Symbol.asyncDispose]();
  }
}

/** Late growth at which the last third is run again (the test allows 48 MB over it). */
const LATE_RECHECK_MB = 32;

async function cycles(rng: Rng, count: number): Promise<Record<string, number>> {
  const warmup = Math.min(50, Math.floor(count / 10));
  let done = 0;
  const lane = async (): Promise<void> => {
    while (done < warmup) await cycle(rng, done++);
  };
  await Promise.all([lane(), lane()]);
  await collect();
  const start = process.memoryUsage();
  // A leak grows the process with every cycle; an allocator that keeps freed pages for reuse
  // grows it once, to a plateau (Node 24's does, by some 50 MB): the last third tells them apart.
  const lateFrom = warmup + Math.floor(((count - warmup) * 2) / 3);
  const lanes = async (until: number): Promise<void> => {
    while (done < until) await cycle(rng, done++);
  };
  await Promise.all([lanes(lateFrom), lanes(lateFrom)]);
  await collect();
  let late = process.memoryUsage();
  await Promise.all([lanes(count), lanes(count)]);
  await collect();
  let end = process.memoryUsage();
  // Grown over the last third all the same: the plateau may have filled late (see the bounds in
  // leaks.test.ts). Once more over as many cycles: a plateau stops there, a leak goes on.
  let rechecked = false;
  if (end.rss - late.rss >= LATE_RECHECK_MB * MB) {
    rechecked = true;
    const until = count + (count - lateFrom);
    late = end;
    await Promise.all([lanes(until), lanes(until)]);
    await collect();
    end = process.memoryUsage();
  }
  return {
    cycles: done,
    rechecked: rechecked ? 1 : 0,
    rssStartMB: round(start.rss / MB),
    rssEndMB: round(end.rss / MB),
    rssGrowthMB: round((end.rss - start.rss) / MB),
    lateCycles: count - lateFrom,
    rssLateGrowthMB: round((end.rss - late.rss) / MB),
    heapStartMB: round(start.heapUsed / MB),
    heapEndMB: round(end.heapUsed / MB),
    heapGrowthMB: round((end.heapUsed - start.heapUsed) / MB),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

// ---- 2. references --------------------------------------------------------------------------------

class Tracked {
  constructor(
    readonly id: number,
    readonly payload = new Array(1000).fill(id),
  ) {}
}

/**
 * Runs `scenario` with a tracker: every object it passes to `track` must be collectable once the
 * scenario returns (the scenario keeps whatever the pool hands back only as long as it says).
 */
async function released(
  name: string,
  scenario: (track: <T extends object>(value: T) => T) => Promise<void>,
): Promise<void> {
  const refs: WeakRef<object>[] = [];
  let finalized = 0;
  const registry = new FinalizationRegistry<null>(() => {
    finalized++;
  });
  const track = <T extends object>(value: T): T => {
    refs.push(new WeakRef(value));
    registry.register(value, null);
    return value;
  };
  await scenario(track);
  for (let attempt = 0; attempt < 10; attempt++) {
    await collect();
    if (refs.every((ref) => ref.deref() === undefined) && finalized === refs.length) break;
  }
  const alive = refs.filter((ref) => ref.deref() !== undefined).length;
  if (refs.length === 0) problems.push(`${name}: tracked nothing`);
  else if (alive > 0 || finalized !== refs.length) {
    problems.push(
      `${name}: ${alive} of ${refs.length} objects still alive (${finalized} finalized)`,
    );
  }
  referenceChecks.push({ name, tracked: refs.length, alive });
}

const referenceChecks: { name: string; tracked: number; alive: number }[] = [];

async function references(): Promise<void> {
  for (const threads of [1, 0]) {
    const where = threads === 0 ? 'threads: 0' : 'worker thread';
    const pool = new ThreadPool({ workers: 2, threads });
    const touch = (t: { id: number }): number => t.id;
    const echo = (t: { id: number }): { id: number; back: number[] } => ({
      id: t.id,
      back: [t.id],
    });
    // Arguments, while the result handle is still held (the pool must not hold them).
    await released(`${where}: applyAsync arguments, result still held`, async (track) => {
      const result = pool.applyAsync(touch, [track(new Tracked(1))]);
      await result.get();
      (globalThis as Record<string, unknown>).__held = result;
    });
    delete (globalThis as Record<string, unknown>).__held;
    await released(`${where}: map arguments and results`, async (track) => {
      const results = await pool.map(
        echo,
        Array.from({ length: 10 }, (_, i) => track(new Tracked(i))),
        3,
      );
      for (const result of results) track(result);
    });
    await released(`${where}: mapAsync with callback`, async (track) => {
      const result = pool.mapAsync(echo, [track(new Tracked(1)), track(new Tracked(2))], {
        callback: (values) => {
          for (const value of values) track(value);
        },
      });
      await result.get();
    });
    await released(`${where}: starmap arguments and results`, async (track) => {
      const args = Array.from({ length: 10 }, (_, i) => [track(new Tracked(i))] as [Tracked]);
      for (const result of await pool.starmap(echo, args)) track(result);
    });
    await released(
      `${where}: imap and imapUnordered results, iterator kept after the end`,
      async (track) => {
        const iterators: IMapIterator<{ id: number }>[] = [
          pool.imap(
            echo,
            Array.from({ length: 10 }, (_, i) => new Tracked(i)),
            2,
          ),
          pool.imapUnordered(
            echo,
            Array.from({ length: 10 }, (_, i) => new Tracked(i)),
          ),
        ];
        for (const iterator of iterators) for await (const value of iterator) track(value);
        (globalThis as Record<string, unknown>).__held = iterators;
      },
    );
    delete (globalThis as Record<string, unknown>).__held;
    await released(
      `${where}: imap input (array and generator), iterator kept after the end`,
      async (track) => {
        const array = track(Array.from({ length: 10 }, (_, i) => new Tracked(i)));
        const generator = track(
          (function* () {
            for (let i = 0; i < 10; i++) yield new Tracked(i);
          })(),
        );
        const iterators = [pool.imap(echo, array, 3), pool.imapUnordered(echo, generator)];
        for (const iterator of iterators) for await (const value of iterator) void value;
        (globalThis as Record<string, unknown>).__held = iterators;
      },
    );
    delete (globalThis as Record<string, unknown>).__held;
    await released(`${where}: imap and imapUnordered arguments and results`, async (track) => {
      const inputs = [0, 1].map(() => Array.from({ length: 10 }, (_, i) => track(new Tracked(i))));
      for await (const value of pool.imap(echo, inputs[0] as Tracked[], 2)) track(value);
      for await (const value of pool.imapUnordered(echo, inputs[1] as Tracked[])) track(value);
    });
    await released(`${where}: imap left early`, async (track) => {
      const iterator = pool.imap(
        echo,
        Array.from({ length: 50 }, (_, i) => track(new Tracked(i))),
      );
      for await (const value of iterator) {
        track(value);
        break;
      }
    });
    await released(`${where}: failed tasks (arguments and errors)`, async (track) => {
      const fail = (t: { id: number }): never => {
        throw Object.assign(new Error(`failed ${t.id}`), { id: t.id });
      };
      const results = [1, 2, 3].map((i) => pool.applyAsync(fail, [track(new Tracked(i))]));
      for (const result of results) track((await result.get().catch((e: unknown) => e)) as object);
    });
    await pool.terminate();
    // Tasks cut off by terminate(): their arguments go too.
    const doomed = new ThreadPool({ workers: 1, threads });
    await released(`${where}: arguments of tasks cancelled by terminate()`, async (track) => {
      const wait = (t: { id: number }): Promise<number> => {
        const id = t.id;
        return new Promise((resolve) => setTimeout(() => resolve(id), 60_000).unref());
      };
      const results = Array.from({ length: 20 }, (_, i) =>
        doomed.applyAsync(wait, [track(new Tracked(i))]),
      );
      await delay(20);
      await doomed.terminate();
      for (const result of results) await result.get().catch(() => {});
    });
  }
  const executor = new ThreadPoolExecutor({ maxWorkers: 2, threads: 1 });
  const echo = (t: { id: number }): { id: number } => ({ id: t.id });
  await released('executor: submit arguments, future still held', async (track) => {
    const future = executor.submit(echo, track(new Tracked(1)));
    await future.result();
    (globalThis as Record<string, unknown>).__held = future;
  });
  delete (globalThis as Record<string, unknown>).__held;
  await released('executor: arguments and results once the futures are dropped', async (track) => {
    const futures = [1, 2, 3].map((i) => executor.submit(echo, track(new Tracked(i))));
    for (const future of futures) track(await future.result());
  });
  await released('executor: map arguments and results', async (track) => {
    for await (const value of executor.map(
      echo,
      [1, 2, 3].map((i) => track(new Tracked(i))),
    ))
      track(value);
  });
  await executor.shutdown();
}

// ---- 3. inside a thread ------------------------------------------------------------------------------

async function threadHeap(): Promise<Record<string, number>> {
  const pool = new ThreadPool({ workers: 4, threads: 1 });
  const heap = (): Promise<number> =>
    pool.apply(() => {
      const collectInThread = (globalThis as { gc?: () => void }).gc;
      if (!collectInThread) throw new Error('no gc() in the thread: --expose-gc is not inherited');
      for (let i = 0; i < 3; i++) collectInThread();
      return process.memoryUsage().heapUsed;
    });
  const before = await heap();
  // 400 tasks with a 256 KiB argument and a 256 KiB result each: 200 MiB through the thread.
  const big = (seed: number): Float64Array => new Float64Array(32 * 1024).fill(seed);
  for (let round = 0; round < 4; round++) {
    await pool.map(
      (a: Float64Array) => new Float64Array(a.length).fill(a[0] as number),
      Array.from({ length: 100 }, (_, i) => big(i)),
      5,
    );
  }
  const after = await heap();
  await pool.terminate();
  return {
    threadHeapBeforeMB: round(before / MB),
    threadHeapAfterMB: round(after / MB),
    throughThreadMB: 200,
  };
}

// ---- the run ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const seed = seedFromEnv();
  const count = intFromEnv('SPINDLE_LEAK_CYCLES', 1000);
  readFileSync(new URL(import.meta.url)); // libuv's threads, before the baseline.
  await delay(50);
  const baseline = osThreads();
  const started = Date.now();
  const rng = new Rng(seed);
  const memory = await cycles(rng, count);
  await references();
  const inThread = await threadHeap();
  const threadsLeft = await threadsSettle(baseline, 5000);
  const result = {
    seed,
    ms: Date.now() - started,
    ...memory,
    ...inThread,
    threadsBaseline: baseline,
    threadsLeft,
    leakedThreads: Math.max(0, threadsLeft - baseline),
    activeResources: process
      .getActiveResourcesInfo()
      .filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap'),
    referenceChecks,
    problems,
  };
  printResult(result);
  if (problems.length > 0) process.exitCode = 1;
}

await main();
