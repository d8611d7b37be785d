/**
 * Model-based tests (issue 6, part 2): fast-check generates random sequences of operations on a
 * ThreadPool — issue with each method, get with and without timeouts, next() on imap iterators,
 * return(), close, terminate, join, await using — and checks each step against a small reference
 * model of the SPEC's state machine: which calls must throw, which results must have arrived and
 * which cannot yet, what each result is, and in which order imap delivers.
 *
 * Determinism: a task either returns (or throws) at once, or waits on a gate, a SharedArrayBuffer
 * cell that only the model opens. So the model knows exactly which results can have arrived: a
 * result behind a closed gate cannot (get(timeout) must time out, ready() must be false), every
 * other result must arrive. A chunk of a map settles as a whole, so the model reasons per chunk.
 * Pools have enough task slots that gated tasks never starve the others (slot contention is the
 * chaos test's business).
 *
 *   SPINDLE_MODEL_RUNS=10000 node --import tsx --test test/reliability/model.test.ts
 *   SPINDLE_SEED=… replays a run; fast-check prints the shrunk counterexample and its path.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import fc from 'fast-check';
import {
  type AsyncResult,
  CancelledError,
  type IMapIterator,
  InvalidStateError,
  ThreadPool,
  TimeoutError,
} from 'spindle';
import { intFromEnv, seedFromEnv } from './harness.js';

// ---- the tasks ----------------------------------------------------------------------------------

/** What a task does: return value * 2 or throw (RangeError `model <value>`), maybe after a gate. */
interface TaskSpec {
  gates: SharedArrayBuffer;
  /** -1: at once. */
  gate: number;
  value: number;
  fails: boolean;
}

interface AtomicsWaitAsync {
  waitAsync(
    cells: Int32Array,
    index: number,
    value: number,
  ): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** Runs in a thread (or on the main thread with threads: 0): reads only its argument. */
function modelTask(spec: TaskSpec): unknown {
  const finish = (): number => {
    if (spec.fails) {
      throw Object.assign(new RangeError(`model ${spec.value}`), { code: 'E_MODEL' });
    }
    return spec.value * 2;
  };
  if (spec.gate < 0) return finish();
  const cells = new Int32Array(spec.gates);
  const atomics = Atomics as unknown as AtomicsWaitAsync;
  const wait = async (): Promise<number> => {
    while (Atomics.load(cells, spec.gate) === 0) {
      const waiting = atomics.waitAsync(cells, spec.gate, 0);
      if (waiting.async) await waiting.value;
    }
    return finish();
  };
  return wait();
}

// ---- the model ----------------------------------------------------------------------------------

const GATES = 3;

type Method =
  | 'apply'
  | 'applyAsync'
  | 'map'
  | 'mapAsync'
  | 'starmap'
  | 'starmapAsync'
  | 'imap'
  | 'imapUnordered';

interface ItemPlan {
  gate: number;
  fails: boolean;
}

interface Item extends ItemPlan {
  value: number;
}

interface Call {
  n: number;
  method: Method;
  items: Item[];
  chunks: Item[][];
  /** Single tasks and maps: the outcome was checked. */
  observed: boolean;
  /** Terminated while it could not have settled: it must be cancelled. */
  cancelMust: boolean;
  /** Terminated while it could have settled or not: either outcome is right. */
  cancelMay: boolean;
  /** imap: items delivered per chunk (chunk length = done), and per-chunk cancel marks. */
  delivered: number[];
  chunkCancelMust: boolean[];
  chunkCancelMay: boolean[];
  cancelledChunks: number;
  returned: boolean;
  ended: boolean;
}

interface Model {
  state: 'RUN' | 'CLOSE' | 'TERMINATE';
  workers: number;
  threads: number;
  gates: boolean[];
  calls: Call[];
  nextValue: number;
  joinPending: boolean;
}

type Handle =
  | { kind: 'result'; result: AsyncResult<unknown>; callbacks: number[] }
  | { kind: 'promise'; outcome: Promise<Outcome> }
  | { kind: 'imap'; iterator: IMapIterator<unknown> };

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Real {
  pool: ThreadPool;
  cells: Int32Array;
  sab: SharedArrayBuffer;
  handles: Handle[];
  pendingJoin: Promise<void> | undefined;
}

const SINGLE = new Set<Method>(['apply', 'applyAsync']);
const IMAP = new Set<Method>(['imap', 'imapUnordered']);

function isOpen(model: Model, item: Item): boolean {
  return item.gate < 0 || model.gates[item.gate] === true;
}

function chunkComplete(model: Model, chunk: Item[]): boolean {
  return chunk.every((item) => isOpen(model, item));
}

/** Whether a single task or map call can have settled: all chunks done, or a failed chunk done. */
function canSettle(model: Model, call: Call): boolean {
  const complete = call.chunks.filter((chunk) => chunkComplete(model, chunk));
  if (complete.length === call.chunks.length) return true;
  return complete.some((chunk) => chunk.some((item) => item.fails));
}

/** Task slots held by gated tasks that cannot finish yet (the model keeps them below capacity). */
function blockedChunks(model: Model, returned = true): number {
  let count = 0;
  for (const call of model.calls) {
    if (model.state === 'TERMINATE') return 0;
    // return() drops the chunks that had not started, and whether one had is a matter of timing.
    if (call.returned && !returned) continue;
    for (let c = 0; c < call.chunks.length; c++) {
      if (!chunkComplete(model, call.chunks[c] as Item[])) count++;
    }
  }
  return count;
}

function slotQuota(model: Model): number {
  return Math.floor(model.workers / Math.max(1, model.threads));
}

function chunkSizeFor(
  method: Method,
  count: number,
  chunksize: number | undefined,
  workers: number,
): number {
  if (SINGLE.has(method)) return 1;
  if (chunksize !== undefined) return chunksize;
  if (IMAP.has(method)) return 1;
  return Math.max(1, Math.ceil(count / (workers * 4)));
}

function splitChunks(items: Item[], size: number): Item[][] {
  const chunks: Item[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

// ---- checking outcomes --------------------------------------------------------------------------

const HANG_MS = 10_000;

/** Awaits `promise`, failing with a clear message if it takes longer than HANG_MS. */
async function within<T>(promise: PromiseLike<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve(promise),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`hang: ${what} did not settle in ${HANG_MS} ms`)),
          HANG_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function outcomeOf(promise: PromiseLike<unknown>): Promise<Outcome> {
  return Promise.resolve(promise).then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, error }),
  );
}

function checkTaskError(error: unknown, allowed: Item[], where: string): void {
  assert.ok(
    error instanceof RangeError,
    `${where}: expected a task's RangeError, got ${String(error)}`,
  );
  const match = /^model (\d+)$/.exec(error.message);
  const value = match ? Number(match[1]) : Number.NaN;
  assert.ok(
    allowed.some((item) => item.value === value && item.fails),
    `${where}: error "${error.message}" is not one of the failed tasks ${allowed.map((i) => i.value).join(',')}`,
  );
  assert.equal((error as { code?: unknown }).code, 'E_MODEL', `${where}: the error lost its code`);
}

/** Checks the outcome of a single task or map call against the model. */
function checkOutcome(model: Model, call: Call, outcome: Outcome): void {
  const where = `${call.method}#${call.n}`;
  if (!outcome.ok && outcome.error instanceof CancelledError) {
    assert.ok(call.cancelMust || call.cancelMay, `${where}: CancelledError without terminate()`);
    return;
  }
  assert.ok(
    !call.cancelMust,
    `${where}: should have been cancelled by terminate(), got ${JSON.stringify(outcome)}`,
  );
  const done = call.chunks.filter((chunk) => chunkComplete(model, chunk));
  const failed = done.flat().filter((item) => item.fails);
  if (failed.length > 0) {
    assert.ok(!outcome.ok, `${where}: resolved although a task failed`);
    checkTaskError(outcome.error, failed, where);
    return;
  }
  assert.equal(
    done.length,
    call.chunks.length,
    `${where}: settled before its gated tasks could finish`,
  );
  assert.ok(outcome.ok, `${where}: rejected with ${String((outcome as { error: unknown }).error)}`);
  const expected = call.items.map((item) => item.value * 2);
  if (SINGLE.has(call.method)) assert.equal(outcome.value, expected[0], where);
  else assert.deepEqual(outcome.value, expected, where);
}

/** One next() of an imap iterator, checked against the model (which it advances). */
async function checkNext(model: Model, call: Call, iterator: IMapIterator<unknown>): Promise<void> {
  const where = `${call.method}#${call.n}`;
  const ordered = call.method === 'imap';
  if (call.returned || call.ended) {
    assert.deepEqual(
      await within(iterator.next(), `${where}.next()`),
      { done: true, value: undefined },
      where,
    );
    return;
  }
  const open = call.chunks
    .map((chunk, c) => ({ chunk, c }))
    .filter(({ chunk, c }) => (call.delivered[c] as number) < chunk.length);
  const terminated = model.state === 'TERMINATE';
  const partial = open.find(({ c }) => (call.delivered[c] as number) > 0);
  const candidates = partial ? [partial] : ordered ? open.slice(0, 1) : open;
  const available = candidates.filter(
    ({ chunk, c }) =>
      terminated ||
      chunkComplete(model, chunk) ||
      call.chunkCancelMust[c] ||
      call.chunkCancelMay[c],
  );
  if (open.length > 0 && available.length === 0) {
    // Nothing can have arrived: next(timeout) times out, and the iterator stays usable.
    const error = await outcomeOf(iterator.next(2));
    assert.ok(
      !error.ok && error.error instanceof TimeoutError,
      `${where}: next(2) should time out, got ${JSON.stringify(error)}`,
    );
    return;
  }
  const step = await within(outcomeOf(iterator.next()), `${where}.next()`);
  if (open.length === 0) {
    assert.ok(
      step.ok && (step.value as IteratorResult<unknown>).done,
      `${where}: expected the end, got ${JSON.stringify(step)}`,
    );
    call.ended = true;
    return;
  }
  if (!step.ok && step.error instanceof CancelledError) {
    const pick =
      available.find(({ c }) => call.chunkCancelMust[c]) ??
      available.find(({ c }) => call.chunkCancelMay[c]);
    assert.ok(pick, `${where}: CancelledError for no cancellable chunk`);
    assert.equal(call.delivered[pick.c], 0, `${where}: a chunk cancelled half-way`);
    call.delivered[pick.c] = pick.chunk.length;
    call.cancelledChunks++;
    return;
  }
  assert.ok(!(!step.ok && step.error instanceof TimeoutError), `${where}: unexpected TimeoutError`);
  if (step.ok) {
    const result = step.value as IteratorResult<unknown>;
    assert.ok(!result.done, `${where}: ended with ${open.length} chunks undelivered`);
  }
  // A result or a task error: it names its task.
  const value = step.ok
    ? ((step.value as IteratorResult<number>).value as number) / 2
    : Number(/^model (\d+)$/.exec(String((step.error as Error)?.message))?.[1]);
  const hit = available.find(({ chunk, c }) => chunk[call.delivered[c] as number]?.value === value);
  assert.ok(
    hit,
    `${where}: got ${JSON.stringify(step)}; expected the next task of ${available.map(({ chunk, c }) => chunk[call.delivered[c] as number]?.value).join(' or ')}`,
  );
  assert.ok(
    !call.chunkCancelMust[hit.c],
    `${where}: a chunk that had to be cancelled delivered a result`,
  );
  const item = hit.chunk[call.delivered[hit.c] as number] as Item;
  if (item.fails) {
    assert.ok(!step.ok, `${where}: task ${item.value} should have failed`);
    checkTaskError(step.error, [item], where);
  } else {
    assert.ok(step.ok, `${where}: task ${item.value} should have succeeded`);
  }
  call.delivered[hit.c] = (call.delivered[hit.c] as number) + 1;
}

// ---- commands -----------------------------------------------------------------------------------

type Cmd = fc.AsyncCommand<Model, Real>;

class Issue implements Cmd {
  constructor(
    readonly method: Method,
    readonly plans: ItemPlan[],
    readonly chunksize: number | undefined,
  ) {}

  check(model: Model): boolean {
    if (model.state !== 'RUN') return true; // Must throw.
    const items = this.plans.map((plan) => ({ ...plan, value: 0 }));
    const size = chunkSizeFor(this.method, items.length, this.chunksize, model.workers);
    const gated = splitChunks(items, size).filter((chunk) => !chunkComplete(model, chunk)).length;
    return blockedChunks(model) + gated <= slotQuota(model) - 2;
  }

  async run(model: Model, real: Real): Promise<void> {
    const pool = real.pool;
    const items: Item[] = this.plans.map((plan) => ({ ...plan, value: model.nextValue++ }));
    const specs = items.map((item) => ({
      gates: real.sab,
      gate: item.gate,
      value: item.value,
      fails: item.fails,
    }));
    const callbacks = [0];
    const hooks = {
      callback: () => {
        callbacks[0] = (callbacks[0] as number) + 1;
      },
      errorCallback: () => {
        callbacks[0] = (callbacks[0] as number) + 1;
      },
    };
    const chunk = this.chunksize;
    const issue = (): Handle => {
      switch (this.method) {
        case 'apply':
          return {
            kind: 'promise',
            outcome: outcomeOf(pool.apply(modelTask, [specs[0] as TaskSpec])),
          };
        case 'applyAsync':
          return {
            kind: 'result',
            result: pool.applyAsync(modelTask, [specs[0] as TaskSpec], hooks),
            callbacks,
          };
        case 'map':
          return { kind: 'promise', outcome: outcomeOf(pool.map(modelTask, specs, chunk)) };
        case 'mapAsync':
          return {
            kind: 'result',
            result: pool.mapAsync(modelTask, specs, {
              ...hooks,
              ...(chunk ? { chunksize: chunk } : {}),
            }),
            callbacks,
          };
        case 'starmap':
          return {
            kind: 'promise',
            outcome: outcomeOf(
              pool.starmap(
                modelTask,
                specs.map((s) => [s] as [TaskSpec]),
                chunk,
              ),
            ),
          };
        case 'starmapAsync':
          return {
            kind: 'result',
            result: pool.starmapAsync(
              modelTask,
              specs.map((s) => [s] as [TaskSpec]),
              { ...hooks, ...(chunk ? { chunksize: chunk } : {}) },
            ),
            callbacks,
          };
        case 'imap':
          return { kind: 'imap', iterator: pool.imap(modelTask, specs, chunk) };
        case 'imapUnordered':
          return { kind: 'imap', iterator: pool.imapUnordered(modelTask, specs, chunk) };
      }
    };
    if (model.state !== 'RUN') {
      assert.throws(issue, { name: 'InvalidStateError', message: 'Pool not running' });
      model.nextValue -= items.length;
      return;
    }
    const handle = issue();
    const size = chunkSizeFor(this.method, items.length, chunk, model.workers);
    const chunks = splitChunks(items, size);
    real.handles.push(handle);
    model.calls.push({
      n: model.calls.length,
      method: this.method,
      items,
      chunks,
      observed: false,
      cancelMust: false,
      cancelMay: false,
      delivered: chunks.map(() => 0),
      chunkCancelMust: chunks.map(() => false),
      chunkCancelMay: chunks.map(() => false),
      cancelledChunks: 0,
      returned: false,
      ended: false,
    });
  }

  toString(): string {
    const items = this.plans.map(
      (p) => `${p.fails ? 'fail' : 'ok'}${p.gate >= 0 ? `@gate${p.gate}` : ''}`,
    );
    return `${this.method}([${items.join(', ')}]${this.chunksize ? `, chunksize ${this.chunksize}` : ''})`;
  }
}

/** get()/await on a single task or map call, with a timeout when it cannot have settled. */
class Get implements Cmd {
  constructor(readonly pick: number) {}

  #call(model: Model): Call | undefined {
    const calls = model.calls.filter((call) => !IMAP.has(call.method));
    return calls[this.pick % Math.max(1, calls.length)];
  }

  check(model: Model): boolean {
    return this.#call(model) !== undefined;
  }

  async run(model: Model, real: Real): Promise<void> {
    const call = this.#call(model) as Call;
    const handle = real.handles[call.n] as Handle;
    const where = `${call.method}#${call.n}`;
    const settles = model.state === 'TERMINATE' || canSettle(model, call) || call.observed;
    if (!settles) {
      if (handle.kind !== 'result') return;
      const { result } = handle;
      assert.equal(result.ready(), false, `${where}: ready() before its gated tasks could finish`);
      assert.throws(() => result.successful(), InvalidStateError);
      const timedOut = await outcomeOf(result.get(1));
      assert.ok(
        !timedOut.ok && timedOut.error instanceof TimeoutError,
        `${where}: get(1) should time out`,
      );
      assert.equal(await result.wait(1), false, `${where}: wait(1)`);
      assert.equal(result.ready(), false, `${where}: a timeout does not settle it`);
      return;
    }
    let outcome: Outcome;
    if (handle.kind === 'result') {
      outcome = await within(outcomeOf(handle.result.get()), `${where}.get()`);
      assert.equal(
        handle.callbacks[0],
        1,
        `${where}: the callback ran once, before get() resolved`,
      );
      assert.equal(handle.result.ready(), true);
      assert.equal(handle.result.successful(), outcome.ok);
      assert.equal(await handle.result.wait(0), true);
      const again = await outcomeOf(handle.result);
      assert.equal(again.ok, outcome.ok, `${where}: await and get() agree`);
    } else if (handle.kind === 'promise') {
      outcome = await within(handle.outcome, where);
    } else return;
    checkOutcome(model, call, outcome);
    call.observed = true;
  }

  toString(): string {
    return `get(call ${this.pick})`;
  }
}

/** A command on one of the imap iterators issued so far (`pick` chooses which). */
abstract class OnImap {
  constructor(readonly pick: number) {}

  protected call(model: Model): Call | undefined {
    const calls = model.calls.filter((call) => IMAP.has(call.method));
    return calls[this.pick % Math.max(1, calls.length)];
  }

  check(model: Model): boolean {
    return this.call(model) !== undefined;
  }
}

class Next extends OnImap implements Cmd {
  async run(model: Model, real: Real): Promise<void> {
    const call = this.call(model) as Call;
    const handle = real.handles[call.n] as Handle & { kind: 'imap' };
    await checkNext(model, call, handle.iterator);
  }

  override toString(): string {
    return `next(imap ${this.pick})`;
  }
}

class Return extends OnImap implements Cmd {
  async run(model: Model, real: Real): Promise<void> {
    const call = this.call(model) as Call;
    const handle = real.handles[call.n] as Handle & { kind: 'imap' };
    const result = await within(handle.iterator.return(), 'imap return()');
    assert.equal(result.done, true);
    call.returned = true;
  }

  override toString(): string {
    return `return(imap ${this.pick})`;
  }
}

class OpenGate implements Cmd {
  constructor(readonly gate: number) {}

  check(model: Model): boolean {
    return model.gates[this.gate] === false;
  }

  async run(model: Model, real: Real): Promise<void> {
    Atomics.store(real.cells, this.gate, 1);
    Atomics.notify(real.cells, this.gate);
    model.gates[this.gate] = true;
  }

  toString(): string {
    return `openGate(${this.gate})`;
  }
}

class Close implements Cmd {
  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    real.pool.close();
    if (model.state === 'RUN') model.state = 'CLOSE';
    assert.equal(real.pool.state, model.state);
  }

  toString(): string {
    return 'close()';
  }
}

function markTerminated(model: Model): void {
  if (model.state === 'TERMINATE') return;
  for (const call of model.calls) {
    if (IMAP.has(call.method)) {
      call.chunks.forEach((chunk, c) => {
        if ((call.delivered[c] as number) > 0) return; // Already settled.
        if (chunkComplete(model, chunk)) call.chunkCancelMay[c] = true;
        else call.chunkCancelMust[c] = true;
      });
    } else if (!call.observed) {
      if (canSettle(model, call)) call.cancelMay = true;
      else call.cancelMust = true;
    }
  }
  model.state = 'TERMINATE';
}

function checkAllReady(model: Model, real: Real, when: string): void {
  for (const call of model.calls) {
    const handle = real.handles[call.n] as Handle;
    if (handle.kind === 'result')
      assert.equal(handle.result.ready(), true, `${call.method}#${call.n} not ready after ${when}`);
  }
}

class Terminate implements Cmd {
  constructor(readonly dispose: boolean) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    markTerminated(model);
    const done = this.dispose ? real.pool[Symbol.asyncDispose]() : real.pool.terminate();
    await within(done, this.dispose ? 'await using' : 'terminate()');
    assert.equal(real.pool.state, 'TERMINATE');
    checkAllReady(model, real, 'terminate()');
    if (real.pendingJoin) await within(real.pendingJoin, 'a pending join()');
  }

  toString(): string {
    return this.dispose ? '[Symbol.asyncDispose]()' : 'terminate()';
  }
}

class Join implements Cmd {
  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    const joined = real.pool.join();
    if (model.state === 'RUN') {
      const outcome = await outcomeOf(joined);
      assert.ok(
        !outcome.ok && outcome.error instanceof InvalidStateError,
        'join() on a running pool rejects',
      );
      assert.equal((outcome as { error: Error }).error.message, 'Pool is still running');
      return;
    }
    if (model.state === 'CLOSE' && blockedChunks(model) > 0) {
      // Closed with tasks behind closed gates: join() waits for them.
      const early = await Promise.race([
        joined.then(() => 'joined'),
        delay(15).then(() => 'waiting'),
      ]);
      if (blockedChunks(model, false) > 0) {
        assert.equal(early, 'waiting', 'join() resolved while tasks could not have finished');
      }
      if (early === 'waiting') {
        real.pendingJoin = joined;
        return;
      }
    }
    await within(joined, 'join()');
    checkAllReady(model, real, 'join()');
  }

  toString(): string {
    return 'join()';
  }
}

// ---- the property -------------------------------------------------------------------------------

const itemPlan = fc.record({
  gate: fc.oneof(
    { weight: 3, arbitrary: fc.constant(-1) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: GATES - 1 }) },
  ),
  fails: fc.oneof(
    { weight: 3, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
});

const methodArb = fc.constantFrom<Method>(
  'apply',
  'applyAsync',
  'map',
  'mapAsync',
  'starmap',
  'starmapAsync',
  'imap',
  'imapUnordered',
);

const issueArb = fc
  .tuple(
    methodArb,
    fc.array(itemPlan, { minLength: 1, maxLength: 5 }),
    fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  )
  .map(
    ([method, plans, chunksize]) =>
      new Issue(method, SINGLE.has(method) ? plans.slice(0, 1) : plans, chunksize),
  );

const getArb = fc.nat(20).map((pick) => new Get(pick));
const nextArb = fc.nat(20).map((pick) => new Next(pick));
const openArb = fc.integer({ min: 0, max: GATES - 1 }).map((gate) => new OpenGate(gate));
/** The rarer operations: leaving an imap early, and the pool's lifecycle. */
const rareArb = fc.oneof(
  fc.nat(20).map((pick) => new Return(pick)),
  fc.constant(new Close()),
  fc.boolean().map((dispose) => new Terminate(dispose)),
  fc.constant(new Join()),
);

/** Issuing weighs most: the other operations need calls to act on. */
const commandArbs = [
  issueArb,
  issueArb,
  issueArb,
  getArb,
  getArb,
  nextArb,
  nextArb,
  openArb,
  rareArb,
];

/** The end of every run: open every gate, let everything finish, and check all of it. */
async function finish(model: Model, real: Real): Promise<void> {
  for (let gate = 0; gate < GATES; gate++) {
    Atomics.store(real.cells, gate, 1);
    Atomics.notify(real.cells, gate);
    model.gates[gate] = true;
  }
  if (model.state === 'RUN') {
    real.pool.close();
    model.state = 'CLOSE';
  }
  await within(real.pool.join(), 'the final join()');
  if (real.pendingJoin) await within(real.pendingJoin, 'a pending join()');
  checkAllReady(model, real, 'the final join()');
  for (const call of model.calls) {
    const handle = real.handles[call.n] as Handle;
    if (handle.kind === 'imap') {
      for (let i = 0; i < call.items.length + 2 && !call.ended && !call.returned; i++) {
        await checkNext(model, call, handle.iterator);
      }
      if (!call.returned) assert.ok(call.ended, `${call.method}#${call.n} never ended`);
    } else if (!call.observed) {
      const outcome = await within(
        handle.kind === 'result' ? outcomeOf(handle.result.get()) : handle.outcome,
        `${call.method}#${call.n}`,
      );
      checkOutcome(model, call, outcome);
    }
  }
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
process.on('unhandledRejection', onUnhandled);
after(() => {
  process.off('unhandledRejection', onUnhandled);
});

const runs = intFromEnv('SPINDLE_MODEL_RUNS', 1000);
const seed = seedFromEnv() | 0;

test(`the ThreadPool follows its model: ${runs} random operation sequences (seed ${seed})`, {
  timeout: Math.max(240_000, runs * 300),
}, async (t) => {
  let worker = 0;
  let local = 0;
  let steps = 0;
  const details = await fc.check(
    fc.asyncProperty(
      fc.constantFrom(0, 0, 1, 2),
      fc.constantFrom(16, 64),
      fc.commands(commandArbs, { maxCommands: 30, size: 'max' }),
      async (threads, workers, commands) => {
        const sab = new SharedArrayBuffer(4 * GATES);
        const pool = new ThreadPool({ workers, threads });
        const model: Model = {
          state: 'RUN',
          workers,
          threads,
          gates: new Array<boolean>(GATES).fill(false),
          calls: [],
          nextValue: 1,
          joinPending: false,
        };
        const real: Real = {
          pool,
          cells: new Int32Array(sab),
          sab,
          handles: [],
          pendingJoin: undefined,
        };
        try {
          await fc.asyncModelRun(() => ({ model, real }), commands);
          await finish(model, real);
          steps += model.calls.length;
          if (real.handles.length > 0 && threads > 0) worker++;
          else if (real.handles.length > 0) local++;
          // A failed result that nobody awaited is not an unhandled rejection.
          await new Promise((resolve) => setImmediate(resolve));
          assert.deepEqual(unhandled.splice(0), [], 'unhandled rejections');
        } finally {
          for (let gate = 0; gate < GATES; gate++) Atomics.store(real.cells, gate, 1);
          Atomics.notify(real.cells, 0);
          Atomics.notify(real.cells, 1);
          Atomics.notify(real.cells, 2);
          await pool.terminate();
        }
      },
    ),
    { numRuns: runs, seed, verbose: 1 },
  );
  if (details.failed) {
    const error = details.errorInstance as Error | undefined;
    assert.fail(
      `${fc.defaultReportMessage(details)}\n\nThe failure: ${error?.stack ?? String(error)}`,
    );
  }
  t.diagnostic(
    `seed ${seed}: ${runs} runs (${worker} on worker threads, ${local} with threads: 0), ${steps} calls`,
  );
});
