/**
 * The chaos test (issue 6, part 1): see chaos.ts for what it does and checks. It runs in a child
 * process so that the last check is a real one: the process must exit by itself once every pool
 * has stopped, with no thread, timer or handle left behind.
 *
 *   SPINDLE_CHAOS_TASKS=100000 node --import tsx --test test/reliability/chaos.test.ts   # full size
 *   SPINDLE_SEED=1234 …                                                                 # replay a run
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { intFromEnv, runScript, seedFromEnv, tail } from './harness.js';

const tasks = intFromEnv('SPINDLE_CHAOS_TASKS', 20_000);
const seed = seedFromEnv();
// About 1 ms a task on 2 busy cores, with a wide margin: a hang fails by its own watchdog first.
const budget = Math.max(180_000, tasks * 10);

test(`chaos: ${tasks} tasks of random behaviour over many pools (seed ${seed})`, {
  timeout: budget + 30_000,
}, async (t) => {
  const run = await runScript('./chaos.ts', {
    env: { SPINDLE_SEED: String(seed), SPINDLE_CHAOS_TASKS: String(tasks) },
    timeoutMs: budget,
  });
  const context = `seed ${seed} (replay: SPINDLE_SEED=${seed} SPINDLE_CHAOS_TASKS=${tasks})\n${tail(run.stderr)}`;
  assert.ok(run.result, `the chaos run printed no result (status ${run.status}): ${context}`);
  const result = run.result as {
    tasks: number;
    hung: number;
    violations: number;
    leakedThreads: number;
    activeResources: string[];
    violationList: string[];
    ms: number;
  };
  t.diagnostic(
    `seed ${seed}: ${result.tasks} tasks in ${result.ms} ms, hung ${result.hung}, leaked threads ${result.leakedThreads}`,
  );
  assert.deepEqual(result.violationList, [], context);
  assert.equal(result.violations, 0, context);
  assert.equal(result.hung, 0, context);
  assert.equal(result.leakedThreads, 0, context);
  assert.ok(result.tasks >= tasks * 0.8, `only ${result.tasks} of ${tasks} tasks were issued`);
  assert.deepEqual(result.activeResources, [], 'nothing keeps the event loop alive at the end');
  assert.equal(run.timedOut, false, `the process did not exit by itself: ${context}`);
  assert.equal(run.status, 0, context);
});
