/**
 * The chaos run's control part (issue 13): rounds of calls on every issuing method with random
 * signals (aborted before the call, at a random moment, or never) and random running-time limits,
 * over tasks that return, throw, spin, report progress, wait for their signal, or loop forever
 * (only where an abort is certain to come). Its own ledger records, per task, how many times it
 * started (a SharedArrayBuffer its thread writes to), and per call, every settlement and every
 * progress value; at the end of each round it checks that:
 *
 * - every call settled exactly once (a promise, and a callback when one was given), and nothing
 *   stays pending once the pool is closed and joined;
 * - with its value, or an error it may have: its task's own error; its signal's reason only if
 *   that signal aborted; TimeoutError only with a `timeout`; WorkerExitError (its `cause` naming
 *   an aborted task) only on worker threads, in a round where a task was aborted; never the error
 *   a task throws after it saw its abort (the call had settled with the reason already);
 * - no task started twice, and no task of a call whose signal was aborted before the call ran;
 * - progress values came in order, all before the settlement, and all of them for a call that
 *   succeeded;
 * - the pool still served a task after each round's aborts.
 */
import {
  type IMapIterator,
  ThreadPool,
  ThreadPoolExecutor,
  TimeoutError,
  WorkerExitError,
} from 'spindle';
import { deadline, type Rng } from './harness.js';

type ControlKind = 'ok' | 'okAsync' | 'throw' | 'spin' | 'progress' | 'listens' | 'stubborn';
/** [started counts, task id, kind, milliseconds, progress values]. */
type ControlSpec = [SharedArrayBuffer, number, ControlKind, number, number];

/** Never ends by itself: only issued where an abort (signal or timeout) is certain. */
const ENDLESS: ReadonlySet<ControlKind> = new Set<ControlKind>(['listens', 'stubborn']);

function controlChaosTask(spec: ControlSpec): unknown {
  const [sab, id, kind, ms, count] = spec;
  Atomics.add(new Int32Array(sab), id, 1);
  if (kind === 'ok') return id;
  if (kind === 'throw') throw new Error(`chaos-control ${id}`);
  if (kind === 'spin') {
    const end = Date.now() + ms;
    while (Date.now() < end) {}
    return id;
  }
  if (kind === 'stubborn') for (;;) {}
  return (async () => {
    const api = await import('spindle/task');
    if (kind === 'okAsync') {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return id;
    }
    if (kind === 'progress') {
      for (let i = 0; i < count; i++) {
        api.progress(i);
        if (i % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      return id;
    }
    const own = api.signal();
    await new Promise((resolve) => {
      if (own.aborted) resolve(undefined);
      else own.addEventListener('abort', resolve);
    });
    throw new Error(`chaos-control ${id} saw its abort`);
  })();
}

const POOL_METHODS = [
  'apply',
  'applyAsync',
  'map',
  'mapAsync',
  'starmap',
  'imap',
  'imapUnordered',
] as const;
const EXECUTOR_METHODS = ['submitWith', 'executorMap'] as const;
type ControlMethod = (typeof POOL_METHODS)[number] | (typeof EXECUTOR_METHODS)[number];

interface ControlCall {
  method: ControlMethod;
  specs: ControlSpec[];
  controller: AbortController | undefined;
  /** The reason it aborts with (a unique object), if it does. */
  reason: Error | undefined;
  abortedBeforeCall: boolean;
  timeout: number | undefined;
  progress: unknown[] | undefined;
  settlements: { ok: boolean; value: unknown; at: number }[];
  progressAfterSettle: boolean;
}

export interface ControlChaosStats {
  rounds: number;
  calls: number;
  tasks: number;
  outcomes: Record<string, number>;
}

function bump(table: Record<string, number>, key: string): void {
  table[key] = (table[key] ?? 0) + 1;
}

/** Issues one call; resolves once it settled (never rejects). */
function issue(
  target: { pool?: ThreadPool; executor?: ThreadPoolExecutor },
  call: ControlCall,
): Promise<void> {
  const options: { signal?: AbortSignal; timeout?: number } = {};
  if (call.controller) options.signal = call.controller.signal;
  if (call.timeout !== undefined) options.timeout = call.timeout;
  const record = (ok: boolean, value: unknown): void => {
    call.settlements.push({ ok, value, at: performance.now() });
  };
  const onProgress = call.progress
    ? (value: unknown) => {
        if (call.settlements.length > 0) call.progressAfterSettle = true;
        call.progress?.push(value);
      }
    : undefined;
  const fn = controlChaosTask;
  const [first] = call.specs as [ControlSpec];
  const pool = target.pool as ThreadPool;
  let promise: Promise<unknown>;
  switch (call.method) {
    case 'apply':
      promise = pool.apply(fn, [first], { ...options, onProgress });
      break;
    case 'applyAsync': {
      // Its callbacks count as settlements too: together with the promise, exactly twice.
      const result = pool.applyAsync(fn, [first], {
        ...options,
        onProgress,
        callback: (value) => record(true, value),
        errorCallback: (error) => record(false, error),
      });
      promise = result.get();
      break;
    }
    case 'map':
      promise = pool.map(fn, call.specs, { ...options, chunksize: 1 });
      break;
    case 'mapAsync':
      promise = pool.mapAsync(fn, call.specs, { ...options, chunksize: 1 }).get();
      break;
    case 'starmap':
      promise = pool.starmap(
        fn,
        call.specs.map((spec) => [spec] as [ControlSpec]),
        options,
      );
      break;
    case 'imap':
    case 'imapUnordered': {
      const iterator: IMapIterator<unknown> =
        call.method === 'imap'
          ? pool.imap(fn, call.specs, options)
          : pool.imapUnordered(fn, call.specs, options);
      promise = iterator.toArray();
      break;
    }
    case 'submitWith':
      promise = (target.executor as ThreadPoolExecutor)
        .submitWith({ ...options, onProgress }, fn, first)
        .result();
      break;
    case 'executorMap':
      promise = (target.executor as ThreadPoolExecutor)
        .map(fn, call.specs, { signal: options.signal })
        .toArray();
      break;
  }
  return promise.then(
    (value) => record(true, value),
    (error) => record(false, error),
  );
}

function expectedValue(call: ControlCall): unknown {
  const ids = call.specs.map((spec) => spec[1]);
  if (call.method === 'apply' || call.method === 'applyAsync' || call.method === 'submitWith') {
    return ids[0];
  }
  return ids;
}

function judge(
  call: ControlCall,
  runs: Int32Array,
  isolated: boolean,
  anyAbort: boolean,
  stats: ControlChaosStats,
): string[] {
  const problems: string[] = [];
  const name = `${call.method} of tasks ${call.specs.map((s) => `${s[1]}:${s[2]}`).join(',')}`;
  const expectedCount = call.method === 'applyAsync' ? 2 : 1;
  if (call.settlements.length !== expectedCount) {
    problems.push(`${name} settled ${call.settlements.length} times, not ${expectedCount}`);
  }
  for (const spec of call.specs) {
    const started = Atomics.load(runs, spec[1]);
    if (started > 1) problems.push(`${name}: task ${spec[1]} started ${started} times`);
    if (call.abortedBeforeCall && started > 0) {
      problems.push(`${name}: task ${spec[1]} started though its signal aborted before the call`);
    }
  }
  if (call.progressAfterSettle) problems.push(`${name}: progress after the call settled`);
  const settlement = call.settlements[call.settlements.length - 1];
  if (!settlement) return problems;
  if (settlement.ok) {
    bump(stats.outcomes, 'ok');
    let value = settlement.value;
    if (call.method === 'imapUnordered') value = [...(value as number[])].sort((a, b) => a - b);
    const expected = expectedValue(call);
    if (JSON.stringify(value) !== JSON.stringify(expected)) {
      problems.push(
        `${name} resolved with ${JSON.stringify(value)}, not ${JSON.stringify(expected)}`,
      );
    }
    if (call.progress) {
      const count = call.specs[0]?.[4] ?? 0;
      const all = Array.from({ length: count }, (_, i) => i);
      if (JSON.stringify(call.progress) !== JSON.stringify(all)) {
        problems.push(`${name} succeeded with progress ${JSON.stringify(call.progress)}`);
      }
    }
    return problems;
  }
  const error = settlement.value;
  if (call.progress) {
    const seen = call.progress as number[];
    if (seen.some((value, i) => value !== i)) {
      problems.push(`${name}: progress out of order ${JSON.stringify(seen)}`);
    }
  }
  if (call.reason !== undefined && error === call.reason) {
    bump(stats.outcomes, 'reason');
    return problems;
  }
  if (error instanceof TimeoutError && call.timeout !== undefined) {
    bump(stats.outcomes, 'timeout');
    return problems;
  }
  if (
    error instanceof WorkerExitError &&
    isolated &&
    anyAbort &&
    /was aborted/.test(String((error.cause as Error | undefined)?.message))
  ) {
    bump(stats.outcomes, 'bystander');
    return problems;
  }
  const own = call.specs
    .filter((spec) => spec[2] === 'throw')
    .map((spec) => `chaos-control ${spec[1]}`);
  if (error instanceof Error && own.includes(error.message)) {
    bump(stats.outcomes, 'own error');
    return problems;
  }
  problems.push(
    `${name} (timeout ${call.timeout}, aborted ${call.reason !== undefined}) rejected with ${
      error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    }`,
  );
  return problems;
}

/** One round: a pool, an executor or a `threads: 0` pool, a batch of controlled calls. */
async function controlRound(rng: Rng, size: number, stats: ControlChaosStats): Promise<string[]> {
  const flavour = rng.pick(['pool', 'local', 'executor'] as const);
  const threads = flavour === 'local' ? 0 : rng.int(1, 2);
  const workers = rng.int(1, 6);
  const abortGrace = rng.int(0, 60);
  const pool =
    flavour === 'executor' ? undefined : new ThreadPool({ workers, threads, abortGrace });
  const executor =
    flavour === 'executor'
      ? new ThreadPoolExecutor({ maxWorkers: workers, threads, abortGrace })
      : undefined;
  const errors: unknown[] = [];
  pool?.on('error', (error) => errors.push(error));
  executor?.on('error', (error) => errors.push(error));
  const runs = new SharedArrayBuffer(4 * (size * 3 + 1));
  const calls: ControlCall[] = [];
  const settled: Promise<void>[] = [];
  let nextId = 0;
  let anyAbort = false;
  for (let c = 0; c < size; c++) {
    const method = rng.pick(flavour === 'executor' ? EXECUTOR_METHODS : POOL_METHODS);
    const single = method === 'apply' || method === 'applyAsync' || method === 'submitWith';
    const timed = method !== 'executorMap' && rng.chance(0.4);
    const signalled = rng.chance(0.6);
    const abortWhen = signalled ? rng.weighted({ before: 1, later: 4, never: 2 }) : 'never';
    const certainAbort = timed || abortWhen !== 'never';
    const kinds: ControlKind[] = ['ok', 'okAsync', 'throw', 'spin'];
    if (single && method !== 'applyAsync') kinds.push('progress');
    if (method === 'applyAsync') kinds.push('progress');
    if (certainAbort) kinds.push('listens', 'listens');
    if (certainAbort && threads > 0) kinds.push('stubborn');
    const specs: ControlSpec[] = [];
    const items = single ? 1 : rng.int(1, 3);
    for (let i = 0; i < items; i++) {
      const kind = rng.pick(kinds);
      specs.push([runs, ++nextId, kind, rng.int(0, 15), rng.int(1, 12)]);
    }
    const controller = signalled ? new AbortController() : undefined;
    const call: ControlCall = {
      method,
      specs,
      controller,
      reason: abortWhen === 'never' ? undefined : new Error(`abort of call ${c}`),
      abortedBeforeCall: abortWhen === 'before',
      timeout: timed ? rng.int(0, 40) : undefined,
      progress: single && specs[0]?.[2] === 'progress' ? [] : undefined,
      settlements: [],
      progressAfterSettle: false,
    };
    if (specs.some((spec) => ENDLESS.has(spec[2])) || abortWhen !== 'never') anyAbort = true;
    if (timed) anyAbort = true;
    if (abortWhen === 'before') controller?.abort(call.reason);
    calls.push(call);
    stats.calls++;
    stats.tasks += specs.length;
    settled.push(issue({ pool, executor }, call));
    if (abortWhen === 'later') {
      const at = rng.int(0, 30);
      setTimeout(() => controller?.abort(call.reason), at);
    }
    if (rng.chance(0.2)) await new Promise((resolve) => setTimeout(resolve, rng.int(0, 5)));
  }
  const problems: string[] = [];
  const all = Promise.all(settled);
  // One watch for the rest of the round: 60 s, or the event loop emptying while a call, the probe
  // or the pool's stop is still awaited (nothing held the process: it would have ended there).
  const watch = deadline(60_000);
  const watchdog = watch.reached;
  const waited = await Promise.race([all, watchdog]);
  if (waited === 'timeout' || waited === 'idle') {
    const pending = calls.filter((c) => c.settlements.length === 0);
    problems.push(
      `control round (${flavour}, threads ${threads}, workers ${workers}, abortGrace ${abortGrace}): ${pending.length} calls still pending ${waited === 'idle' ? 'with nothing holding the event loop' : 'after 60 s'}: ${pending
        .map(
          (c) =>
            `${c.method} [${c.specs.map((s) => `${s[1]}:${s[2]}:${Atomics.load(new Int32Array(runs), s[1])}`).join(',')}] timeout ${c.timeout} aborted ${c.controller?.signal.aborted}`,
        )
        .join('; ')}`,
    );
    // What the pool saw of itself then: its threads, queue and tasks in flight.
    try {
      problems.push(`  its stats then: ${JSON.stringify((pool ?? executor)?.stats())}`);
    } catch (error) {
      problems.push(`  stats() threw ${String(error)}`);
    }
    if (process.env.SPINDLE_CHAOS_VERBOSE === '1') {
      console.error(problems.join('\n'));
      for (const c of calls) {
        const last = c.settlements.at(-1);
        console.error(
          `  ${c.method} [${c.specs.map((s) => `${s[1]}:${s[2]}:${Atomics.load(new Int32Array(runs), s[1])}`).join(',')}] timeout ${c.timeout} abort ${c.abortedBeforeCall ? 'before' : c.reason ? 'later' : 'never'} -> ${last ? (last.ok ? 'ok' : String((last.value as Error)?.name ?? last.value)) : 'PENDING'} at ${last?.at.toFixed(0)}`,
        );
      }
    }
  }
  // The pool still serves after the round's aborts and stopped threads. A call settles when it
  // is aborted, but a task that ignores its signal (or cannot see it in time: its thread busy in a
  // spin, abortGrace 1 ms) runs on until abortGrace, and its thread is doomed meanwhile. The probe
  // goes to another thread when one can take it; when none can (threads: 1, or every thread
  // doomed), it starts beside the aborted task as documented, and may fail with its thread
  // (WorkerExitError naming the aborted task). Then the next probe must be served: so the retry
  // stays, for those rounds.
  const probeOnce = (): Promise<unknown> =>
    Promise.race([
      pool
        ? pool.apply((x: number) => x + 1, [41])
        : (executor as ThreadPoolExecutor).submit((x: number) => x + 1, 41).result(),
      watchdog,
    ]).catch((error: unknown) => error);
  let probed = await probeOnce();
  if (probed instanceof WorkerExitError && /was aborted/.test(String(probed.message))) {
    probed = await probeOnce();
  }
  if (probed !== 42)
    problems.push(`control round: the probe after the round gave ${String(probed)}`);
  // Let the late aborts of settled calls fire: they must change nothing.
  await new Promise((resolve) => setTimeout(resolve, 35));
  pool?.close();
  const stopped = (
    pool ? pool.join() : (executor as ThreadPoolExecutor).shutdown({ wait: true })
  ).then(() => 'stopped' as const);
  const stop = await Promise.race([stopped, watchdog]);
  if (stop !== 'stopped') {
    problems.push(
      `control round (${flavour}): the pool did not stop (${stop === 'idle' ? 'nothing held the event loop' : 'not within 60 s of the round'})`,
    );
  }
  watch.cancel();
  const counts = new Int32Array(runs);
  for (const call of calls) problems.push(...judge(call, counts, threads > 0, anyAbort, stats));
  for (const error of errors) problems.push(`control round: 'error' event with ${String(error)}`);
  stats.rounds++;
  return problems;
}

/**
 * Runs control rounds until `target` calls have been issued; returns the violations found. A
 * clearly separate part of the chaos run: it shares only the seed and the list of violations.
 */
export async function runControlChaos(
  rng: Rng,
  target: number,
): Promise<{ violations: string[]; stats: ControlChaosStats }> {
  const stats: ControlChaosStats = { rounds: 0, calls: 0, tasks: 0, outcomes: {} };
  const violations: string[] = [];
  while (stats.calls < target) {
    const size = Math.min(rng.int(20, 80), Math.max(10, target - stats.calls));
    violations.push(...(await controlRound(rng, size, stats)));
  }
  return { violations, stats };
}
