// Chaos on a process pool: random tasks that return, throw, exit, kill their own process
// (SIGKILL, SIGSEGV), run past their timeout, are aborted, or cannot be sent, issued every way
// (apply, applyAsync, map, imap) on a few pools at once. The first law: every call settles
// exactly once, with an outcome its kind allows; the pools go on; no child is left at the end.
//
//   SPINDLE_SEED=1234 node --import tsx --test test/processes/chaos.test.ts   # replay a run
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProcessPool, TimeoutError, WorkerExitError } from 'spindle';

const seed = Number(process.env.SPINDLE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TASKS = Number(process.env.SPINDLE_PROCESS_CHAOS_TASKS ?? 300);
const HANG_MS = Number(process.env.SPINDLE_PROCESS_CHAOS_HANG_MS ?? 180_000);

/** mulberry32: a small seeded generator, so that a failing run can be replayed. */
function rng(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'value' | 'async' | 'throw' | 'exit' | 'sigkill' | 'segv' | 'hang' | 'abort' | 'clone';
const KINDS: Kind[] = [
  ...Array<Kind>(8).fill('value'),
  ...Array<Kind>(6).fill('async'),
  'throw',
  'throw',
  'exit',
  'sigkill',
  'segv',
  'hang',
  'abort',
  'clone',
];

/** The task of each kind: one function for all, so that every call is the same definition. */
type Call = [kind: Kind, x: number, uncloneable?: () => void];

async function task([kind, x]: Call): Promise<number> {
  switch (kind) {
    case 'value':
      return x * 2;
    case 'async':
      await new Promise((resolve) => setTimeout(resolve, x % 7));
      return x * 2;
    case 'throw':
      throw new Error(`task ${x} threw`);
    case 'exit':
      process.exit(3);
      break;
    case 'sigkill':
      process.kill(process.pid, 'SIGKILL');
      break;
    case 'segv':
      process.kill(process.pid, 'SIGSEGV');
      break;
    case 'hang':
      for (;;);
    case 'abort':
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      return x;
  }
  return -1;
}

/** Whether `outcome` is one that a call of this kind may settle with. */
function allowed(kind: Kind, x: number, outcome: { value?: unknown; error?: unknown }): boolean {
  const { error } = outcome;
  // A process that dies fails every task it was running: any task may be collateral.
  const collateral = error instanceof WorkerExitError;
  switch (kind) {
    case 'value':
    case 'async':
      return collateral || (!('error' in outcome) && outcome.value === x * 2);
    case 'throw':
      return collateral || (error as Error)?.message === `task ${x} threw`;
    case 'exit':
    case 'sigkill':
    case 'segv':
      return collateral;
    case 'hang':
      return collateral || error instanceof TimeoutError;
    case 'abort':
      return collateral || (error as Error)?.message === `aborted ${x}`;
    case 'clone':
      return (error as Error)?.name === 'DataCloneError';
  }
}

test(`chaos on process pools: ${TASKS} random tasks (seed ${seed})`, {
  timeout: 240_000,
}, async () => {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const pools = [
    new ProcessPool({ workers: 2, processes: 2, abortGrace: 200 }),
    new ProcessPool({ workers: 4, processes: 2, abortGrace: 200, maxTasksPerProcess: 7 }),
    new ProcessPool({ workers: 3, processes: 1, abortGrace: 200 }),
  ];
  const problems: string[] = [];
  const calls: Promise<void>[] = [];
  /** The calls not settled yet, by what they are: named when some hang. */
  const pending = new Set<string>();
  let settledTwice = 0;
  for (let x = 0; x < TASKS; x++) {
    const kind = pick(KINDS);
    const pool = pick(pools);
    const how = pick(['apply', 'applyAsync', 'map', 'imap'] as const);
    const controller = new AbortController();
    const options = {
      ...(kind === 'hang' ? { timeout: 150 } : {}),
      ...(kind === 'abort' ? { signal: controller.signal } : {}),
    };
    if (kind === 'abort') setTimeout(() => controller.abort(new Error(`aborted ${x}`)), 50);
    const call1: Call = kind === 'clone' ? [kind, x, () => {}] : [kind, x];
    const check = (outcome: { value?: unknown; error?: unknown }): void => {
      if (!allowed(kind, x, outcome)) {
        const shown = 'error' in outcome ? String(outcome.error) : JSON.stringify(outcome.value);
        problems.push(`${how} ${kind} #${x}: ${shown}`);
      }
    };
    let call: Promise<unknown>;
    switch (how) {
      case 'apply':
        call = pool.apply(task, [call1], options);
        break;
      case 'applyAsync': {
        let callbacks = 0;
        const result = pool.applyAsync(task, [call1], {
          ...options,
          callback: () => {
            if (++callbacks > 1) settledTwice++;
          },
          errorCallback: () => {
            if (++callbacks > 1) settledTwice++;
          },
        });
        call = result.get();
        break;
      }
      case 'map':
        call = pool.map(task, [call1], options).then((values) => values[0]);
        break;
      case 'imap':
        call = (async () => {
          const values: number[] = [];
          for await (const value of pool.imap(task, [call1], options)) {
            values.push(value);
          }
          return values[0];
        })();
        break;
    }
    const name = `${how} ${kind} #${x} on pool ${pools.indexOf(pool)}`;
    pending.add(name);
    calls.push(
      call
        .then(
          (value) => check({ value }),
          (error) => check({ error }),
        )
        .finally(() => pending.delete(name)),
    );
    // Tasks come in bursts, with pauses in between.
    if (random() < 0.05) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const hung = await Promise.race([
    Promise.all(calls).then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), HANG_MS).unref()),
  ]);
  const stats = pools.map((pool) => JSON.stringify(pool.stats()));
  assert.equal(hung, false, `never settled (seed ${seed}): ${[...pending].join(', ')}; ${stats}`);
  assert.deepEqual(problems, [], `outcomes a call of its kind may not have (seed ${seed})`);
  assert.equal(settledTwice, 0, 'a result callback ran twice');
  // The pools went on through it all. A hang that timed out last may still have its process in
  // abortGrace: a one-process pool sends the next task to that process all the same (it must go
  // on), and the task dies with it, as collateral. Then the pool has replaced the process: once.
  const goesOn = async (pool: ProcessPool): Promise<number> => {
    try {
      return await pool.apply((a: number) => a + 1, [1]);
    } catch (error) {
      if (!(error instanceof WorkerExitError && /abortGrace/.test(error.message))) throw error;
      return pool.apply((a: number) => a + 1, [1]);
    }
  };
  for (const pool of pools) assert.equal(await goesOn(pool), 2);
  const pids = await Promise.all(pools.map((pool) => pool.apply(() => process.pid)));
  for (const pool of pools) {
    const s = pool.stats();
    assert.equal(s.queued + s.running, 0);
    await pool.terminate();
  }
  for (const pid of pids) {
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.throws(
      () => process.kill(pid, 0),
      { code: 'ESRCH' },
      `process ${pid} outlived its pool`,
    );
  }
});
