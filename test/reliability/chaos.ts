/**
 * The chaos run of issue 6: many pools and executors, every issuing method, and tasks that at
 * random return, throw, return or take an uncloneable value, exit their thread, leave a timer that
 * throws, run out of memory, hang, or run late; return a value too deep for the main thread to
 * read, throw hostile values (an Error whose enumerable or `name` getter throws, a Proxy, a Proxy
 * `cause`, an AggregateError that contains itself), return a thenable whose `then` getter throws,
 * or keep their thread busy while tasks with transfer lists queue behind them; callbacks that
 * throw, or that call terminate()/close()/shutdown(), cancel another future or issue new tasks;
 * inputs that throw or return hostile iterator results (sync and async, for imap and the map
 * family); an imap over an endless input with close() while it runs; consumers that time out or
 * leave early, and random close()/terminate()/shutdown() mid-flight.
 *
 * A ledger records every task (its behaviour, how many times it started, on which thread, via a
 * SharedArrayBuffer its thread writes to) and every settlement, and checks at the end of each
 * round that each task settled exactly once with the outcome its behaviour dictates:
 *
 * - its own result or error (class, message, code, own properties, cause chain, stack), or
 * - WorkerExitError, only if it had started on a thread where a thread-killing task ran, or
 * - CancelledError, only once terminate() (or a cancel) was called, or
 * - DataCloneError, only for an uncloneable argument (never started) or result (started once),
 *   or a result too deep for the main thread;
 * - for a hostile thrown value or `then`: an Error for that task alone (never a WorkerExitError for
 *   it or the tasks beside it); for a map whose input fails: that error, with nothing started;
 * - for a task issued from a callback to a pool that no longer runs: InvalidStateError at once,
 *   and it never starts;
 *
 * that no task ever started twice; that no result settles after terminate() or join() resolved;
 * that the pool still serves tasks after each fault; that nothing stays pending; and at the end,
 * that no thread is left and nothing keeps the process alive.
 *
 * Run by chaos.test.ts in a child process, which checks that this process exits by itself.
 * Environment: SPINDLE_CHAOS_TASKS (default 20,000), SPINDLE_SEED, SPINDLE_CHAOS_EXECUTOR=0.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay, setImmediate as nextTurn } from 'node:timers/promises';
import { inspect, isDeepStrictEqual } from 'node:util';
import {
  CancelledError,
  type Future,
  type IMapIterator,
  InvalidStateError,
  type PoolStats,
  ThreadPool,
  ThreadPoolExecutor,
  TimeoutError,
  WorkerExitError,
} from 'spindle';
import { type ControlChaosStats, runControlChaos } from './chaos-control.js';
import {
  deadline,
  intFromEnv,
  osThreads,
  printResult,
  Rng,
  seedFromEnv,
  threadsSettle,
} from './harness.js';

// ---- what a task does -------------------------------------------------------------------------

type Kind =
  | 'ok'
  | 'okAsync'
  | 'throw'
  | 'throwAsync'
  | 'throwValue'
  | 'throwBad'
  | 'badResult'
  | 'badArg'
  | 'transfer'
  | 'exit'
  | 'bomb'
  | 'oom'
  | 'hang'
  | 'hangAsync'
  | 'deepResult'
  | 'hostileThrow'
  | 'hostileThen'
  | 'busy';

/** Kinds that kill their thread. */
const KILLERS: ReadonlySet<Kind> = new Set<Kind>(['exit', 'bomb', 'oom']);

/** [pool key, task id, kind, variant, delay ms, data, poison (an uncloneable value)] */
type Spec = [string, number, Kind, number, number, unknown, unknown?];

interface ThreadLedger {
  runs: Int32Array;
  threads: Int32Array;
  threadId: number;
}

/**
 * The task function of every chaos task. It runs in another isolate, so it reads nothing of this
 * module: only its arguments and globals (the initializer leaves the ledger in a global).
 */
function chaosTask(spec: Spec, extra?: unknown): unknown {
  const [key, id, kind, variant, wait, data] = spec;
  const ledgers = (globalThis as { __spindleChaos?: Record<string, ThreadLedger> }).__spindleChaos;
  const ledger = ledgers?.[key];
  if (ledger) {
    Atomics.add(ledger.runs, id, 1);
    Atomics.store(ledger.threads, id, ledger.threadId);
  }
  const fail = (): Error => {
    const message = `chaos ${id}`;
    const options =
      variant % 2 === 0 ? { cause: new Error(`cause ${id}`, { cause: `root ${id}` }) } : undefined;
    let error: Error;
    const shape = variant % 5;
    if (shape === 0) error = new Error(message, options);
    else if (shape === 1) error = new TypeError(message, options);
    else if (shape === 2) error = new RangeError(message, options);
    else if (shape === 3) {
      class ChaosError extends Error {}
      error = new ChaosError(message, options);
      error.name = 'ChaosError';
    } else {
      class ChaosTypeError extends TypeError {}
      error = new ChaosTypeError(message, options);
      error.name = 'ChaosTypeError';
    }
    Object.assign(error, { code: `E_CHAOS_${id}`, detail: { id, variant } });
    return error;
  };
  const later = (f: () => unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          resolve(f());
        } catch (error) {
          reject(error);
        }
      }, wait);
    });
  if (kind === 'ok' || kind === 'badArg') return [id, data];
  if (kind === 'okAsync') return later(() => [id, data]);
  if (kind === 'throw') throw fail();
  if (kind === 'throwAsync') {
    return later(() => {
      throw fail();
    });
  }
  if (kind === 'throwValue') throw `chaos-value-${id}`;
  if (kind === 'throwBad') {
    throw {
      method() {},
      toString: () => `chaos-bad-${id}`,
    };
  }
  if (kind === 'badResult') {
    const bad = [() => id, Symbol('chaos'), { id, method() {} }, new WeakMap()][variant % 4];
    return wait > 0 ? later(() => bad) : bad;
  }
  if (kind === 'transfer') {
    let sum = 0;
    for (const byte of extra as Uint8Array) sum += byte;
    return [id, sum];
  }
  if (kind === 'exit') {
    if (wait > 0) return later(() => process.exit(variant));
    process.exit(variant);
  }
  if (kind === 'bomb') {
    setTimeout(() => {
      throw new Error(`bomb ${id}`);
    }, wait);
    return [id, data];
  }
  if (kind === 'oom') {
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array(100_000).fill(id));
  }
  if (kind === 'deepResult') {
    // Deeper than the main thread's stack can deserialize: an error for this task alone.
    let deep: unknown = [id];
    for (let i = 0; i < 12_000; i++) deep = { deep };
    return deep;
  }
  if (kind === 'hostileThrow') {
    const message = `chaos ${id}`;
    const shape = variant % 5;
    if (shape === 0) {
      const error = new Error(message);
      Object.defineProperty(error, 'trap', {
        enumerable: true,
        get() {
          throw new Error(`trap ${id}`);
        },
      });
      throw error;
    }
    if (shape === 1) {
      const error = new Error(message);
      Object.defineProperty(error, 'name', {
        get() {
          throw new Error(`name trap ${id}`);
        },
      });
      throw error;
    }
    if (shape === 2) {
      throw new Proxy(
        {},
        {
          get() {
            throw new Error(`get trap ${id}`);
          },
          ownKeys() {
            throw new Error(`ownKeys trap ${id}`);
          },
        },
      );
    }
    if (shape === 3) {
      const cause = new Proxy(
        {},
        {
          ownKeys() {
            throw new Error(`ownKeys trap ${id}`);
          },
        },
      );
      throw new Error(message, { cause });
    }
    const errors: unknown[] = [];
    const error = new AggregateError(errors, message);
    errors.push(error, error);
    throw error;
  }
  if (kind === 'hostileThen') {
    const hostile = {
      // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point of this kind
      get then(): unknown {
        throw new Error(`chaos ${id}`);
      },
    };
    return wait > 0 ? later(() => hostile) : hostile;
  }
  if (kind === 'busy') {
    // A long synchronous task: the tasks queued behind it are taken back for other threads.
    const until = Date.now() + wait;
    while (Date.now() < until) {}
    return [id, data];
  }
  if (kind === 'hang') for (;;) {}
  if (kind === 'hangAsync') return new Promise(() => {});
  throw new Error(`unknown chaos kind ${String(kind)}`);
}

/** Each thread's initializer: puts the pool's ledger where chaosTask finds it. */
async function chaosInit(
  key: string,
  runs: SharedArrayBuffer,
  threads: SharedArrayBuffer,
): Promise<void> {
  const { threadId } = await import('node:worker_threads');
  const g = globalThis as { __spindleChaos?: Record<string, ThreadLedger> };
  g.__spindleChaos ??= {};
  g.__spindleChaos[key] = {
    runs: new Int32Array(runs),
    threads: new Int32Array(threads),
    threadId,
  };
}

// ---- the ledger -------------------------------------------------------------------------------

interface Item {
  id: number;
  kind: Kind;
  variant: number;
  wait: number;
  data: unknown;
  spec: Spec;
  /** For 'transfer': the bytes sent (moved) to the thread. */
  bytes?: Uint8Array;
  /** For 'transfer': the sum the task must return. */
  sum?: number;
  /** Issued from a callback to a pool that no longer ran: refused at once, never to start. */
  refused?: boolean;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const SINGLE: ReadonlySet<Method> = new Set<Method>(['applyAsync', 'apply', 'submit', 'probe']);

type Method =
  | 'applyAsync'
  | 'apply'
  | 'map'
  | 'mapAsync'
  | 'starmap'
  | 'starmapAsync'
  | 'imap'
  | 'imapUnordered'
  | 'submit'
  | 'probe';

interface Unit {
  n: number;
  method: Method;
  items: Item[];
  chunksize: number;
  /** Settlements seen by the synchronous hooks (callbacks, done-callbacks). */
  settlements: number;
  /** The outcome (single tasks and maps). */
  outcome: Outcome | undefined;
  /** terminate()/shutdown(cancelFutures) had been called when it settled. */
  cancelAllowed: boolean;
  /** imap: what each next() gave, in order, with whether terminate() had been called. */
  sequence: { outcome: Outcome; input: boolean; cancelAllowed: boolean }[];
  /** imap: how the iteration ended. */
  end: 'done' | 'return' | undefined;
  /** imap: where the input throws. */
  throwAt: number | undefined;
  /** future.cancel() returned true. */
  cancelledByUser: boolean;
  ready: (() => boolean) | undefined;
  done: Promise<void>;
  finished: boolean;
}

type Flavour = 'pool' | 'local' | 'executor';

const stats = {
  rounds: 0,
  pools: { pool: 0, local: 0, executor: 0 } as Record<Flavour, number>,
  tasks: 0,
  calls: 0,
  byMethod: {} as Record<string, number>,
  /** Tasks issued, by behaviour. */
  kinds: {} as Record<string, number>,
  /** Other injected faults and events. */
  events: {} as Record<string, number>,
  outcomes: {} as Record<string, number>,
  hung: 0,
  /** Of those, units found pending when the event loop had emptied (nothing held the process). */
  idle: 0,
  probes: 0,
  violations: 0,
};
const violations: string[] = [];
const VERBOSE = process.env.SPINDLE_CHAOS_VERBOSE === '1';
/** Rounds in progress, for the periodic report of what is still pending. */
const live = new Set<Ledger>();

function dumpLive(): void {
  for (const ledger of live) {
    const pending = ledger.units.filter((unit) => !unit.finished);
    console.error(
      `[in progress] round ${ledger.round} (${ledger.config}): ${pending.length} unfinished calls; terminateCalled ${ledger.terminateCalled}, closed ${ledger.closed}`,
    );
    for (const unit of pending.slice(0, 5)) {
      const tasks = unit.items
        .slice(0, 10)
        .map((item) => `${item.id}:${item.kind}/runs ${ledger.runs[item.id]}`);
      console.error(
        `  ${unit.method}#${unit.n} settlements ${unit.settlements} outcomes ${unit.sequence.length} end ${unit.end} chunksize ${unit.chunksize} tasks ${tasks.join(' ')}`,
      );
    }
  }
}

function bump(table: Record<string, number>, key: string, by = 1): void {
  table[key] = (table[key] ?? 0) + by;
}

function describeValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return inspect(value, { depth: 2, breakLength: Number.POSITIVE_INFINITY }).slice(0, 200);
}

class Ledger {
  readonly runs: Int32Array;
  readonly threads: Int32Array;
  readonly items: Item[] = [];
  readonly units: Unit[] = [];
  terminateCalled = false;
  terminated = false;
  closed = false;
  /** join() / shutdown(wait) resolved. */
  finished = false;
  shutdownCancel = false;
  config = '';
  callbackThrows = 0;
  callbackReports = 0;
  /** The pool's stats() as JSON, for reports. */
  stats: (() => string) | undefined;
  #unitCounter = 0;

  constructor(
    readonly key: string,
    readonly flavour: Flavour,
    readonly round: number,
    readonly seed: number,
    readonly capacity: number,
  ) {
    this.runs = new Int32Array(new SharedArrayBuffer(4 * capacity));
    this.threads = new Int32Array(new SharedArrayBuffer(4 * capacity)).fill(-1);
  }

  get full(): boolean {
    return this.items.length >= this.capacity;
  }

  item(rng: Rng, kind: Kind): Item {
    if (this.full) throw new Error('ledger full');
    const id = this.items.length;
    const variant =
      kind === 'exit' ? rng.pick([0, 1, 3, 7, 42, 99, 255]) : rng.int(0, 1_000_000) % 10;
    const wait =
      kind === 'okAsync' || kind === 'throwAsync' || kind === 'bomb'
        ? rng.chance(0.85)
          ? rng.int(0, 3)
          : rng.int(4, 40)
        : kind === 'exit' || kind === 'badResult' || kind === 'hostileThen'
          ? rng.pick([0, 0, 1, 5])
          : kind === 'busy'
            ? rng.int(5, 40)
            : 0;
    const data = rng.chance(0.85) ? id : richData(rng, id);
    const spec: Spec = [this.key, id, kind, variant, wait, data];
    const item: Item = { id, kind, variant, wait, data, spec };
    if (kind === 'transfer') {
      const bytes = new Uint8Array(rng.int(1, 4096));
      let sum = 0;
      for (let i = 0; i < bytes.length; i++) {
        bytes[i] = (i * 31 + id) & 0xff;
        sum += bytes[i] as number;
      }
      item.bytes = bytes;
      item.sum = sum;
    }
    this.items.push(item);
    return item;
  }

  unit(method: Method, items: Item[], chunksize = 1): Unit {
    const unit: Unit = {
      n: this.#unitCounter++,
      method,
      items,
      chunksize,
      settlements: 0,
      outcome: undefined,
      cancelAllowed: false,
      sequence: [],
      end: undefined,
      throwAt: undefined,
      cancelledByUser: false,
      ready: undefined,
      done: Promise.resolve(),
      finished: false,
    };
    this.units.push(unit);
    stats.calls++;
    bump(stats.byMethod, method);
    stats.tasks += items.length;
    for (const item of items) bump(stats.kinds, item.kind);
    return unit;
  }

  violation(unit: Unit | undefined, item: Item | undefined, message: string): void {
    stats.violations++;
    if (violations.length >= 60) return;
    const where = unit ? ` ${unit.method}#${unit.n}` : '';
    const what = item
      ? ` task ${item.id} (${item.kind}, variant ${item.variant}, runs ${this.runs[item.id]})`
      : '';
    const line = `[seed ${this.seed} round ${this.round} ${this.flavour} ${this.key}]${where}${what}: ${message}`;
    violations.push(line);
    if (VERBOSE) console.error(line);
  }

  /**
   * A settlement was seen: `timely` for the synchronous hooks (callback, error callback,
   * done-callback), which run at the very moment of settlement; not for promise reactions.
   */
  settled(unit: Unit, outcome: Outcome | undefined, timely: boolean): void {
    unit.settlements++;
    if (unit.settlements > 1) this.violation(unit, undefined, 'settled more than once');
    if (timely && this.terminated)
      this.violation(unit, undefined, 'settled after terminate() resolved');
    if (timely && this.finished)
      this.violation(unit, undefined, 'settled after join()/shutdown() resolved');
    if (unit.settlements === 1) {
      unit.cancelAllowed = this.terminateCalled || this.shutdownCancel;
      if (outcome) unit.outcome = outcome;
    }
  }
}

function richData(rng: Rng, id: number): unknown {
  return {
    id,
    text: 'ü'.repeat(rng.int(0, 40)),
    list: [1, 'two', null, undefined, -0, Number.NaN],
    map: new Map<unknown, unknown>([
      ['k', id],
      [id, { nested: [id] }],
    ]),
    set: new Set([id, `${id}`]),
    date: new Date(1_700_000_000_000 + id),
    big: BigInt(id) * 10n ** 20n,
    bytes: Uint8Array.from([id & 0xff, 1, 2]),
    regexp: /chaos/gi,
  };
}

// ---- judging ------------------------------------------------------------------------------------

const ERROR_NAMES = ['Error', 'TypeError', 'RangeError', 'ChaosError', 'ChaosTypeError'];

function checkChaosError(item: Item, error: unknown): string | null {
  if (!(error instanceof Error)) return `expected an Error, got ${describeValue(error)}`;
  const shape = item.variant % 5;
  const e = error as Error & { code?: unknown; detail?: unknown };
  if (e.name !== ERROR_NAMES[shape]) return `name ${e.name}, expected ${ERROR_NAMES[shape]}`;
  if (e.message !== `chaos ${item.id}`) return `message ${JSON.stringify(e.message)}`;
  if (e.code !== `E_CHAOS_${item.id}`) return `code ${String(e.code)}`;
  if (!isDeepStrictEqual(e.detail, { id: item.id, variant: item.variant }))
    return `detail ${describeValue(e.detail)}`;
  if ((shape === 1 || shape === 4) && !(e instanceof TypeError)) return 'not instanceof TypeError';
  if (shape === 2 && !(e instanceof RangeError)) return 'not instanceof RangeError';
  if (item.variant % 2 === 0) {
    const cause = e.cause as Error | undefined;
    if (!(cause instanceof Error) || cause.message !== `cause ${item.id}`)
      return `cause ${describeValue(cause)}`;
    if (cause.cause !== `root ${item.id}`) return `cause.cause ${describeValue(cause.cause)}`;
  } else if (e.cause !== undefined) return `unexpected cause ${describeValue(e.cause)}`;
  if (typeof e.stack !== 'string' || !e.stack.includes(`chaos ${item.id}`))
    return `stack ${String(e.stack).slice(0, 100)}`;
  if (!/\n\s+at /.test(e.stack)) return 'the stack has no frames of the thread';
  return null;
}

/** A task that threw a Proxy (whose error cannot name it) and started. */
function isProxyThrower(ledger: Ledger, item: Item): boolean {
  return item.kind === 'hostileThrow' && item.variant % 5 === 2 && ledger.runs[item.id] === 1;
}

/** What a task that throws or returns a hostile value must reject with. */
function checkHostileError(item: Item, outcome: Outcome): string | null {
  const got = outcome.ok ? `value ${describeValue(outcome.value)}` : describeValue(outcome.error);
  if (outcome.ok || !(outcome.error instanceof Error)) return `expected an Error, got ${got}`;
  const error = outcome.error;
  if (item.kind === 'hostileThrow' && item.variant % 5 === 2) {
    // A thrown Proxy: nothing of it can be read, the error says so.
    return /cannot be cloned/.test(error.message) ? null : `expected a clone error, got ${got}`;
  }
  if (error.message !== `chaos ${item.id}`) return `expected its message, got ${got}`;
  if (item.kind === 'hostileThrow' && item.variant % 5 === 4) {
    if (error.name !== 'AggregateError') return `expected an AggregateError, got ${got}`;
  }
  if (item.kind === 'hostileThrow' && item.variant % 5 === 3 && error.cause === undefined)
    return 'the cause was lost';
  return null;
}

function isDataCloneError(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'DataCloneError';
}

/** Thread ids on which a thread-killing task started. */
function deadThreads(ledger: Ledger): Set<number> {
  const dead = new Set<number>();
  for (const item of ledger.items) {
    if (KILLERS.has(item.kind) && ledger.runs[item.id] === 1) dead.add(ledger.threads[item.id]!);
  }
  return dead;
}

function diedWith(ledger: Ledger, dead: Set<number>, item: Item): boolean {
  return ledger.runs[item.id] === 1 && dead.has(ledger.threads[item.id]!);
}

function expectedValue(item: Item): unknown {
  return item.kind === 'transfer' ? [item.id, item.sum] : [item.id, item.data];
}

/** Judges the outcome of one task that settled on its own (apply, submit, an imap item). */
function judgeItem(
  ledger: Ledger,
  dead: Set<number>,
  item: Item,
  outcome: Outcome,
  cancelAllowed: boolean,
): string | null {
  const runs = ledger.runs[item.id] as number;
  if (runs > 1) return `started ${runs} times`;
  if (!outcome.ok) {
    const error = outcome.error;
    if (error instanceof CancelledError) {
      return cancelAllowed ? null : 'CancelledError, but the pool was not terminated';
    }
    if (error instanceof WorkerExitError) {
      if (diedWith(ledger, dead, item)) return null;
      return `WorkerExitError (${error.message}) but no thread-killing task ran on its thread`;
    }
  }
  const got = outcome.ok ? `value ${describeValue(outcome.value)}` : describeValue(outcome.error);
  if (item.kind === 'transfer' && !outcome.ok && isDataCloneError(outcome.error) && runs === 0) {
    // Its buffer moved to a thread that died before starting it: it cannot be sent again.
    if (dead.size > 0 && /transfer. is detached/.test((outcome.error as Error).message))
      return null;
  }
  switch (item.kind) {
    case 'ok':
    case 'okAsync':
    case 'bomb':
    case 'busy':
    case 'transfer':
      if (!outcome.ok) return `expected a result, got ${got}`;
      if (runs !== 1) return `resolved, but started ${runs} times`;
      if (!isDeepStrictEqual(outcome.value, expectedValue(item))) return `wrong ${got}`;
      return null;
    case 'throw':
    case 'throwAsync':
      if (outcome.ok) return `expected its error, got ${got}`;
      if (runs !== 1) return `failed, but started ${runs} times`;
      return checkChaosError(item, outcome.error);
    case 'throwValue':
      if (outcome.ok || outcome.error !== `chaos-value-${item.id}`)
        return `expected the thrown string, got ${got}`;
      return null;
    case 'throwBad':
      if (
        outcome.ok ||
        !(outcome.error instanceof Error) ||
        !outcome.error.message.endsWith(`cannot be cloned: chaos-bad-${item.id}`)
      )
        return `expected an error saying the thrown value cannot be cloned, got ${got}`;
      return null;
    case 'badResult':
      if (outcome.ok || !isDataCloneError(outcome.error))
        return `expected DataCloneError, got ${got}`;
      if (runs !== 1) return `DataCloneError for its result, but started ${runs} times`;
      return null;
    case 'badArg':
      if (ledger.flavour === 'local') {
        if (!outcome.ok) return `expected a result (no cloning on the main thread), got ${got}`;
        return null;
      }
      if (outcome.ok || !isDataCloneError(outcome.error))
        return `expected DataCloneError, got ${got}`;
      if (runs !== 0) return `DataCloneError for its argument, but it started ${runs} times`;
      return null;
    case 'deepResult':
      if (outcome.ok || !isDataCloneError(outcome.error) || !/too deep/.test(`${outcome.error}`))
        return `expected a DataCloneError saying the result is too deep, got ${got}`;
      if (runs !== 1) return `DataCloneError for its result, but started ${runs} times`;
      return null;
    case 'hostileThrow':
    case 'hostileThen':
      if (runs !== 1) return `failed, but started ${runs} times`;
      return checkHostileError(item, outcome);
    case 'exit':
    case 'oom':
      return `a thread-killing task settled with ${got}`;
    case 'hang':
    case 'hangAsync':
      return `a task that never ends settled with ${got}`;
  }
}

/** The task id an imap outcome carries (results, and errors the tasks threw), if any. */
function idOf(outcome: Outcome): number | undefined {
  if (outcome.ok) {
    const value = outcome.value;
    return Array.isArray(value) && typeof value[0] === 'number' ? value[0] : undefined;
  }
  const error = outcome.error;
  if (typeof error === 'string') {
    const match = /^chaos-value-(\d+)$/.exec(error);
    return match ? Number(match[1]) : undefined;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const match = /^E_CHAOS_(\d+)$/.exec(code);
    if (match) return Number(match[1]);
  }
  if (error instanceof Error) {
    const match = /cannot be cloned: chaos-bad-(\d+)$/.exec(error.message);
    if (match) return Number(match[1]);
    const hostile = /^chaos (\d+)$/.exec(error.message);
    if (hostile) return Number(hostile[1]);
  }
  return undefined;
}

/** Judges one error that stands for a whole group of tasks (a map call, an imap chunk). */
function judgeGroupError(
  ledger: Ledger,
  dead: Set<number>,
  items: Item[],
  error: unknown,
  cancelAllowed: boolean,
): string | null {
  for (const item of items) {
    if ((ledger.runs[item.id] as number) > 1) return `task ${item.id} started more than once`;
  }
  if (error instanceof CancelledError) {
    return cancelAllowed ? null : 'CancelledError, but the pool was not terminated';
  }
  if (error instanceof WorkerExitError) {
    if (items.some((item) => diedWith(ledger, dead, item))) return null;
    return `WorkerExitError (${error.message}) but none of its tasks ran on a thread that died`;
  }
  if (isDataCloneError(error)) {
    if (ledger.flavour === 'local') return 'DataCloneError on the main thread';
    const culprit = items.some(
      (item) =>
        item.kind === 'badArg' ||
        ((item.kind === 'badResult' || item.kind === 'deepResult') && ledger.runs[item.id] === 1),
    );
    return culprit ? null : 'DataCloneError without an uncloneable argument or result';
  }
  const only = items.length === 1 ? (items[0] as Item) : undefined;
  if (only && isProxyThrower(ledger, only) && error instanceof Error) {
    const wrong = judgeItem(ledger, dead, only, { ok: false, error }, cancelAllowed);
    if (wrong === null) return null;
  }
  const id = idOf({ ok: false, error });
  const item = items.find((candidate) => candidate.id === id);
  if (item && (item.kind === 'throw' || item.kind === 'throwAsync')) {
    const wrong = checkChaosError(item, error);
    return wrong && `task ${item.id}: ${wrong}`;
  }
  if (
    item &&
    (item.kind === 'throwValue' ||
      item.kind === 'throwBad' ||
      item.kind === 'hostileThrow' ||
      item.kind === 'hostileThen')
  ) {
    const wrong = judgeItem(ledger, dead, item, { ok: false, error }, cancelAllowed);
    return wrong && `task ${item.id}: ${wrong}`;
  }
  const proxy = items.find((candidate) => isProxyThrower(ledger, candidate));
  if (proxy && id === undefined) {
    const wrong = checkHostileError(proxy, { ok: false, error });
    return wrong && `task ${proxy.id}: ${wrong}`;
  }
  return `unexplained error ${describeValue(error)}`;
}

function judgeMap(ledger: Ledger, dead: Set<number>, unit: Unit): void {
  const outcome = unit.outcome;
  if (!outcome) {
    ledger.violation(unit, undefined, 'never settled');
    return;
  }
  if (unit.throwAt !== undefined) {
    // A map reads its whole input first: an input that fails rejects the call, nothing starts.
    const started = unit.items.filter((item) => ledger.runs[item.id] !== 0).length;
    if (started > 0) ledger.violation(unit, undefined, `the input failed, yet ${started} started`);
    if (!outcome.ok && outcome.error instanceof CancelledError && unit.cancelAllowed) return;
    const expected = `input failed at ${unit.throwAt}`;
    if (outcome.ok || (outcome.error as Error | undefined)?.message !== expected)
      ledger.violation(
        unit,
        undefined,
        `expected the input's error (${expected}), got ${outcome.ok ? 'a result' : describeValue(outcome.error)}`,
      );
    return;
  }
  if (!outcome.ok) {
    const wrong = judgeGroupError(ledger, dead, unit.items, outcome.error, unit.cancelAllowed);
    if (wrong) ledger.violation(unit, undefined, wrong);
    return;
  }
  const values = outcome.value;
  if (!Array.isArray(values) || values.length !== unit.items.length) {
    ledger.violation(unit, undefined, `resolved with ${describeValue(values)}`);
    return;
  }
  unit.items.forEach((item, i) => {
    const wrong = judgeItem(ledger, dead, item, { ok: true, value: values[i] }, false);
    if (wrong) ledger.violation(unit, item, `in a resolved map: ${wrong}`);
  });
}

function chunksOf(items: Item[], size: number): Item[][] {
  const chunks: Item[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Kuhn's matching: can every chunk-level error be assigned its own untouched chunk? */
function matchAll(errors: number, candidates: (error: number) => number[]): boolean {
  const owner = new Map<number, number>();
  const tryAssign = (error: number, seen: Set<number>): boolean => {
    for (const chunk of candidates(error)) {
      if (seen.has(chunk)) continue;
      seen.add(chunk);
      const current = owner.get(chunk);
      if (current === undefined || tryAssign(current, seen)) {
        owner.set(chunk, error);
        return true;
      }
    }
    return false;
  };
  for (let e = 0; e < errors; e++) if (!tryAssign(e, new Set())) return false;
  return true;
}

function judgeImap(ledger: Ledger, dead: Set<number>, unit: Unit, ordered: boolean): void {
  const read = unit.throwAt === undefined ? unit.items : unit.items.slice(0, unit.throwAt);
  const chunks = chunksOf(read, unit.chunksize);
  const chunkOf = new Map<number, number>();
  chunks.forEach((chunk, c) => {
    for (const item of chunk) chunkOf.set(item.id, c);
  });
  const position = new Array<number>(chunks.length).fill(0);
  const groupErrors: { error: unknown; cancelAllowed: boolean }[] = [];
  const cut = ledger.terminateCalled;
  let next = 0; // ordered: the chunk whose turn it is
  const sequence = unit.sequence;
  for (let k = 0; k < sequence.length; k++) {
    const { outcome, input, cancelAllowed } = sequence[k]!;
    if (input) {
      if (k !== sequence.length - 1) ledger.violation(unit, undefined, 'input error not last');
      if (unit.throwAt === undefined)
        ledger.violation(unit, undefined, 'an input error, but the input never throws');
      else if (
        !outcome.ok &&
        (outcome.error as Error).message !== `input failed at ${unit.throwAt}`
      )
        ledger.violation(
          unit,
          undefined,
          `wrong input error ${describeValue(outcome.ok || outcome.error)}`,
        );
      continue;
    }
    const id = idOf(outcome);
    if (id !== undefined) {
      const c = chunkOf.get(id);
      if (c === undefined) {
        ledger.violation(
          unit,
          undefined,
          `a result for task ${id}, which is not in this call's input`,
        );
        continue;
      }
      if (ordered && c !== next) {
        ledger.violation(
          unit,
          undefined,
          `task ${id} delivered out of order (chunk ${c}, expected ${next})`,
        );
        continue;
      }
      const chunk = chunks[c]!;
      const item = chunk[position[c]!];
      if (item?.id !== id) {
        ledger.violation(unit, undefined, `task ${id} delivered out of order within its chunk`);
        continue;
      }
      const wrong = judgeItem(ledger, dead, item, outcome, cancelAllowed);
      if (wrong) ledger.violation(unit, item, wrong);
      position[c]!++;
      if (ordered && position[c] === chunk.length) next++;
      continue;
    }
    if (outcome.ok) {
      ledger.violation(
        unit,
        undefined,
        `a value no task returned: ${describeValue(outcome.value)}`,
      );
      continue;
    }
    // A thrown Proxy's error names no task, and stands for that task alone (imap delivers a
    // chunk's results one by one): it is the error of a chunk's next task that threw a Proxy.
    const proxyError =
      outcome.error instanceof Error &&
      !isDataCloneError(outcome.error) &&
      /cannot be cloned/.test(outcome.error.message);
    // A chunk is handed out item by item without another chunk's in between: one already begun
    // goes on first (a chunk not begun whose first item throws a Proxy may instead have failed
    // whole, and then its one error comes as a chunk's error).
    const candidates = ordered ? [next] : chunks.map((_, c) => c);
    const nextThrower = (c: number, begun: boolean): boolean => {
      const p = position[c] ?? 0;
      const item = chunks[c]?.[p];
      return (begun ? p > 0 : p === 0) && item !== undefined && isProxyThrower(ledger, item);
    };
    // A chunk not begun: in order, it is the next chunk's; unordered, the chunk whose second item
    // comes next, if one does; else it cannot be told which single-item chunk threw it (another
    // such chunk may have failed whole), and it is matched with the chunks' errors at the end.
    const following = idOf(sequence[k + 1]?.outcome ?? { ok: true, value: undefined });
    const notBegun = proxyError
      ? candidates.filter((c) => nextThrower(c, false))
      : ([] as number[]);
    const partial =
      candidates.find((c) => nextThrower(c, true)) ??
      (ordered
        ? notBegun[0]
        : (notBegun.find((c) => chunks[c]?.[1]?.id === following) ??
          (notBegun.length === 1 && chunks[notBegun[0] as number]!.length > 1
            ? notBegun[0]
            : undefined)));
    if (partial !== undefined) {
      const chunk = chunks[partial]!;
      const item = chunk[position[partial]!]!;
      const wrong = judgeItem(ledger, dead, item, outcome, cancelAllowed);
      if (wrong) ledger.violation(unit, item, wrong);
      position[partial]!++;
      if (ordered && position[partial] === chunk.length) next++;
      continue;
    }
    if (ordered) {
      const chunk = chunks[next];
      if (!chunk || position[next] !== 0) {
        ledger.violation(
          unit,
          undefined,
          `an error with no chunk to stand for: ${describeValue(outcome.error)}`,
        );
        continue;
      }
      const wrong = judgeGroupError(ledger, dead, chunk, outcome.error, cancelAllowed);
      if (wrong) ledger.violation(unit, undefined, `chunk ${next}: ${wrong}`);
      position[next] = chunk.length;
      next++;
    } else {
      groupErrors.push({ error: outcome.error, cancelAllowed });
    }
  }
  const untouched: number[] = [];
  for (let c = 0; c < chunks.length; c++) {
    const p = position[c]!;
    if (p === 0) untouched.push(c);
    else if (p < chunks[c]!.length && unit.end === 'done' && !cut) {
      ledger.violation(
        unit,
        undefined,
        `chunk ${c}: only ${p} of its ${chunks[c]!.length} results came`,
      );
    }
  }
  if (!ordered) {
    const fits = (e: number): number[] =>
      untouched.filter(
        (c) =>
          judgeGroupError(
            ledger,
            dead,
            chunks[c]!,
            groupErrors[e]!.error,
            groupErrors[e]!.cancelAllowed,
          ) === null,
      );
    if (!matchAll(groupErrors.length, fits)) {
      ledger.violation(
        unit,
        undefined,
        `chunk errors that no chunk explains: ${groupErrors.map((g) => describeValue(g.error)).join('; ')}`,
      );
    }
    if (unit.end === 'done' && !cut && groupErrors.length < untouched.length) {
      ledger.violation(
        unit,
        undefined,
        `${untouched.length - groupErrors.length} chunks never delivered`,
      );
    }
  } else if (unit.end === 'done' && !cut && next < chunks.length) {
    ledger.violation(
      unit,
      undefined,
      `the iteration ended after ${next} of ${chunks.length} chunks`,
    );
  }
  if (unit.end === 'done' && !cut && unit.throwAt !== undefined) {
    const last = sequence[sequence.length - 1];
    if (!last?.input) ledger.violation(unit, undefined, 'the input error was never thrown');
  }
}

function judgeRound(ledger: Ledger): void {
  const dead = deadThreads(ledger);
  for (let id = 0; id < ledger.items.length; id++) {
    if ((ledger.runs[id] as number) > 1) {
      ledger.violation(undefined, ledger.items[id], `started ${ledger.runs[id]} times`);
    }
    if (ledger.items[id]!.refused && ledger.runs[id] !== 0) {
      ledger.violation(undefined, ledger.items[id], 'refused when issued, but it started');
    }
  }
  // A thread dies once: every task that died with it saw the same exit code.
  const exitCodes = new Map<number, Set<number>>();
  const noteExit = (item: Item, error: unknown): void => {
    if (!(error instanceof WorkerExitError)) return;
    const thread = ledger.threads[item.id]!;
    const codes = exitCodes.get(thread) ?? new Set<number>();
    exitCodes.set(thread, codes);
    codes.add(error.exitCode);
    if (item.kind === 'exit') {
      const killers = ledger.items.filter(
        (k) => KILLERS.has(k.kind) && ledger.runs[k.id] === 1 && ledger.threads[k.id] === thread,
      );
      const explained =
        killers.some((k) => k.kind !== 'exit') ||
        killers.some((k) => k.kind === 'exit' && k.variant === error.exitCode);
      if (!explained)
        ledger.violation(undefined, item, `exit code ${error.exitCode}, expected ${item.variant}`);
    }
  };
  for (const unit of ledger.units) {
    if (!unit.finished) {
      ledger.violation(unit, undefined, 'never finished');
      continue;
    }
    if (unit.method === 'imap' || unit.method === 'imapUnordered') {
      judgeImap(ledger, dead, unit, unit.method === 'imap');
      for (const step of unit.sequence) bump(stats.outcomes, outcomeName(step.outcome));
      continue;
    }
    const outcome = unit.outcome;
    if (!outcome) {
      ledger.violation(unit, undefined, 'never settled');
      continue;
    }
    bump(stats.outcomes, outcomeName(outcome));
    if (SINGLE.has(unit.method)) {
      const item = unit.items[0]!;
      const cancelAllowed = unit.cancelAllowed || unit.cancelledByUser;
      let wrong = judgeItem(ledger, dead, item, outcome, cancelAllowed);
      if (
        !wrong &&
        !outcome.ok &&
        outcome.error instanceof CancelledError &&
        unit.method === 'submit' &&
        !ledger.terminateCalled
      ) {
        // An executor has no terminate(): a cancelled future was cancelled before it started.
        if (ledger.runs[item.id] !== 0) wrong = 'cancelled, but it had started';
        else if (!unit.cancelledByUser && !ledger.shutdownCancel) wrong = 'cancelled by nobody';
      }
      if (wrong) ledger.violation(unit, item, wrong);
      if (!outcome.ok) noteExit(item, outcome.error);
    } else {
      judgeMap(ledger, dead, unit);
    }
  }
  for (const [thread, codes] of exitCodes) {
    if (codes.size > 1)
      ledger.violation(
        undefined,
        undefined,
        `thread ${thread} died with exit codes ${[...codes].join(', ')}`,
      );
  }
}

/**
 * The pool's own counts (`stats()`, in calls: a map's items each count) against the ledger, once
 * the pool has stopped: nothing queued, running or live; every call the ledger saw settle counted
 * as it settled (a value: completed; CancelledError: cancelled; any other error: failed); no more
 * calls than the ledger issued, and no fewer than started; cancellations only where something
 * cancelled. A map that rejected hides how its other items ended, so for rounds with maps these
 * are bounds; a round of single calls only (an executor's) must match exactly.
 */
function judgeStats(ledger: Ledger, s: PoolStats): void {
  const wrong = (message: string): void =>
    ledger.violation(undefined, undefined, `stats(): ${message} (${JSON.stringify(s)})`);
  if (s.queued !== 0 || s.running !== 0) wrong('calls left queued or running after the end');
  if (s.threads.live !== 0) wrong('threads left live after the end');
  if (s.threads.replaced > s.threads.started) wrong('more threads replaced than started');
  if (ledger.flavour === 'local' && s.threads.started > 1)
    wrong('more than one main-thread carrier');
  const seen = { completed: 0, failed: 0, cancelled: 0 };
  const count = (outcome: Outcome, by = 1): void => {
    if (outcome.ok) seen.completed += by;
    else if (outcome.error instanceof CancelledError) seen.cancelled += by;
    else seen.failed += by;
  };
  let issuable = 0;
  let started = 0;
  let onlySingles = true;
  let cancelling = ledger.terminateCalled || ledger.shutdownCancel;
  for (const item of ledger.items) {
    if (!item.refused) issuable++;
    if ((ledger.runs[item.id] as number) > 0) started++;
  }
  for (const unit of ledger.units) {
    if (unit.cancelledByUser || unit.end === 'return') cancelling = true;
    if (SINGLE.has(unit.method)) {
      if (unit.outcome && !unit.items[0]?.refused) count(unit.outcome);
      continue;
    }
    onlySingles = false;
    if (unit.method === 'imap' || unit.method === 'imapUnordered') {
      // Only values are sure to be one call each (an error may stand for a whole chunk).
      for (const step of unit.sequence) if (step.outcome.ok) seen.completed++;
    } else if (unit.outcome?.ok) {
      seen.completed += unit.items.length;
    }
  }
  const total = s.completed + s.failed + s.cancelled;
  if (total > issuable) wrong(`${total} calls settled, but only ${issuable} were issued`);
  if (s.runTime && s.waitTime) {
    // Timed rounds: one sample per task that started and settled (a chunk is one task).
    if (s.runTime.count !== s.waitTime.count) wrong('runTime and waitTime counts differ');
    if (s.runTime.count > total) wrong('more timed tasks than settled calls');
    if (!(s.utilization !== null && s.utilization >= 0 && s.utilization <= 1))
      wrong('utilization out of 0..1');
    if (s.runTime.count > 0 && !(s.runTime.min <= s.runTime.p50 && s.runTime.p99 <= s.runTime.max))
      wrong('runTime percentiles out of order');
  } else if (s.runTime || s.waitTime || s.utilization !== null) {
    if ((ledger.seed & 1) === 0) wrong('timings without the timings option');
  }
  if (total < started) wrong(`${total} calls settled, but ${started} started`);
  if (!cancelling && s.cancelled > 0) wrong('calls counted cancelled, but nothing cancelled');
  if (onlySingles) {
    const counted = { completed: s.completed, failed: s.failed, cancelled: s.cancelled };
    if (!isDeepStrictEqual(counted, seen)) wrong(`expected ${JSON.stringify(seen)}`);
  } else if (
    s.completed < seen.completed ||
    s.failed < seen.failed ||
    s.cancelled < seen.cancelled
  ) {
    wrong(`fewer than the ledger saw: ${JSON.stringify(seen)}`);
  }
}

function outcomeName(outcome: Outcome): string {
  if (outcome.ok) return 'resolved';
  const error = outcome.error;
  if (error instanceof CancelledError) return 'CancelledError';
  if (error instanceof WorkerExitError) return 'WorkerExitError';
  if (isDataCloneError(error)) return 'DataCloneError';
  return 'task error';
}

// ---- issuing ------------------------------------------------------------------------------------

type Host =
  | { flavour: 'pool' | 'local'; pool: ThreadPool }
  | { flavour: 'executor'; executor: ThreadPoolExecutor };

function argsOf(item: Item): [Spec, unknown?] {
  if (item.kind === 'badArg') return [item.spec, item.variant % 2 ? Symbol('poison') : () => 0];
  if (item.kind === 'transfer') return [item.spec, item.bytes];
  return [item.spec];
}

const HOW = ['throw', 'doneGetter', 'valueGetter', 'reject'] as const;

/**
 * A hand-written input that fails at `throwAt` (if ≥ 0) with Error(`input failed at <i>`): its
 * next() throws, or returns a result whose `done` or `value` getter throws, or (async) a
 * rejected promise, or a result that is a promise of such a hostile result.
 */
function hostileInput<T>(
  values: T[],
  throwAt: number,
  how: (typeof HOW)[number],
  asynchronous: boolean,
): Iterable<T> | AsyncIterable<T> {
  let i = 0;
  const step = (): IteratorResult<T> => {
    const at = i++;
    if (at !== throwAt)
      return at < values.length
        ? { done: false, value: values[at]! }
        : { done: true, value: undefined };
    const error = new Error(`input failed at ${at}`);
    if (how === 'throw' || (how === 'reject' && !asynchronous)) throw error;
    if (how === 'doneGetter') {
      return {
        get done(): false {
          throw error;
        },
        value: values[at]!,
      };
    }
    return {
      done: false,
      get value(): T {
        throw error;
      },
    };
  };
  if (!asynchronous) return { [Symbol.iterator]: () => ({ next: step }) };
  return {
    [Symbol.asyncIterator]: () => ({
      next: (): Promise<IteratorResult<T>> => {
        if (how === 'reject' && i === throwAt) {
          i++;
          return Promise.reject(new Error(`input failed at ${throwAt}`));
        }
        return new Promise((resolve) => resolve(step()));
      },
    }),
  };
}

/** A map item: the spec itself, carrying the poison for badArg. */
function mapItemOf(item: Item): Spec {
  if (item.kind !== 'badArg') return item.spec;
  const [key, id, kind, variant, wait, data] = item.spec;
  return [key, id, kind, variant, wait, data, () => 0];
}

function outcomeOf(ok: boolean, value: unknown): Outcome {
  return ok ? { ok: true, value } : { ok: false, error: value };
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.ok !== b.ok) return false;
  return a.ok
    ? a.value === (b as { value: unknown }).value
    : a.error === (b as { error: unknown }).error;
}

/**
 * Follows a result's promise side. With `hooked`, the settlement was already recorded by a
 * synchronous hook, and the promise must agree with it; otherwise the promise is the record.
 */
function follow(
  ledger: Ledger,
  unit: Unit,
  promise: PromiseLike<unknown>,
  hooked: boolean,
): Promise<void> {
  return Promise.resolve(promise).then(
    (value) => arrive(ledger, unit, outcomeOf(true, value), hooked),
    (error) => arrive(ledger, unit, outcomeOf(false, error), hooked),
  );
}

function arrive(ledger: Ledger, unit: Unit, outcome: Outcome, hooked: boolean): void {
  if (!hooked) ledger.settled(unit, outcome, false);
  else if (!unit.outcome) ledger.violation(unit, undefined, 'the promise settled, no callback ran');
  else if (!sameOutcome(unit.outcome, outcome))
    ledger.violation(unit, undefined, 'the promise and the callback disagree');
  unit.finished = true;
}

class Round {
  readonly probes = { left: 20 };
  /** How many more times callbacks may meddle with the pool (0: a round without meddling). */
  meddles = 0;
  /** A terminate() or shutdown() called from a callback, to be awaited before judging. */
  stopping: Promise<void> | undefined;
  /** The executor's futures, for callbacks that cancel another one. */
  readonly futures: { future: Future<unknown>; unit: Unit }[] = [];
  /** Decides the meddling, apart from `rng`, so that issuing stays as the seed dictates. */
  readonly meddleRng: Rng;

  constructor(
    readonly ledger: Ledger,
    readonly host: Host,
    readonly rng: Rng,
    readonly weights: Partial<Record<Kind, number>>,
  ) {
    this.meddleRng = new Rng(ledger.seed ^ 0x5bd1e995);
  }

  /**
   * Called by every result callback, error callback and done-callback: now and then it calls
   * terminate(), close() (shutdown() for an executor), cancel() of another future, or issues a
   * new task, from inside the callback (SPEC 4a).
   */
  meddle(): void {
    const { ledger, host } = this;
    const rng = this.meddleRng;
    if (this.meddles <= 0 || ledger.finished || !rng.chance(0.03)) return;
    this.meddles--;
    const action = rng.weighted(
      host.flavour === 'executor'
        ? { issue: 5, cancel: 5, close: 1, terminate: 1 }
        : { issue: 6, close: 1, terminate: 1 },
    );
    bump(stats.events, `callback called ${action}`);
    if (action === 'issue') {
      if (ledger.full) return;
      const method =
        host.flavour === 'executor'
          ? 'submit'
          : rng.pick<Method>(['applyAsync', 'apply', 'mapAsync', 'imap', 'imapUnordered']);
      const running = this.running;
      const count = SINGLE.has(method) ? 1 : rng.int(0, 5);
      const items: Item[] = [];
      for (let i = 0; i < count && !ledger.full; i++) {
        items.push(ledger.item(rng, rng.pick<Kind>(['ok', 'okAsync', 'throw', 'hostileThen'])));
      }
      if (items.length === 0) return;
      if (!this.issue(method, items)) {
        for (const item of items) item.refused = true;
        if (running) ledger.violation(undefined, items[0], `${method} from a callback refused`);
        else bump(stats.events, 'callback issue refused (InvalidStateError)');
      } else if (!running) {
        ledger.violation(
          undefined,
          items[0],
          `${method} from a callback accepted by a closed pool`,
        );
      }
    } else if (action === 'cancel') {
      const target = this.futures[rng.int(0, this.futures.length - 1)];
      if (target?.future.cancel()) {
        target.unit.cancelledByUser = true;
        bump(stats.events, 'future.cancel() from a callback succeeded');
      }
    } else if (action === 'close') {
      ledger.closed = true;
      if (host.flavour === 'executor') void host.executor.shutdown({ wait: false });
      else host.pool.close();
    } else if (host.flavour === 'executor') {
      ledger.closed = true;
      ledger.shutdownCancel = true;
      void host.executor.shutdown({ wait: false, cancelFutures: true });
    } else {
      this.stopping ??= terminate(ledger, host.pool);
    }
  }

  get running(): boolean {
    if (this.host.flavour === 'executor') return !this.ledger.closed;
    return this.host.pool.state === 'RUN';
  }

  /** New tasks for one call (fewer if the ledger is full). */
  items(count: number, single: boolean): Item[] {
    const items: Item[] = [];
    for (let i = 0; i < count && !this.ledger.full; i++) {
      let kind = this.rng.weighted(this.weights);
      if (kind === 'transfer' && !single) kind = 'ok';
      items.push(this.ledger.item(this.rng, kind));
    }
    return items;
  }

  /**
   * Issues one call. Returns false when it threw InvalidStateError because the pool no longer
   * runs (a synchronous throw that issues nothing, as the SPEC says).
   */
  issue(method: Method, items: Item[]): boolean {
    const host = this.host;
    try {
      if (host.flavour === 'executor') this.#submit(host.executor, items[0]!, method);
      else if (method === 'applyAsync' || method === 'probe')
        this.#applyAsync(host.pool, items[0]!, method);
      else if (method === 'apply') this.#apply(host.pool, items[0]!);
      else if (method === 'imap' || method === 'imapUnordered')
        this.#imap(host.pool, method, items);
      else this.#map(host.pool, method, items);
      return true;
    } catch (error) {
      if (error instanceof InvalidStateError && !this.running) return false;
      this.ledger.violation(undefined, items[0], `${method} threw ${describeValue(error)}`);
      return false;
    }
  }

  /** A buffer listed in `transfer` moves (when the task is sent): after a result, it is detached. */
  #checkTransferred(unit: Unit, item: Item): void {
    if (!item.bytes || this.host.flavour === 'local') return;
    const bytes = item.bytes;
    void unit.done.then(() => {
      if (unit.outcome?.ok && bytes.byteLength !== 0)
        this.ledger.violation(unit, item, 'a buffer listed in transfer was copied, not moved');
    });
  }

  /** A callback that throws now and then: reported on the 'error' event, harmless otherwise. */
  #maybeThrowing(): () => void {
    if (!this.rng.chance(0.03)) return () => {};
    let counted = false;
    return () => {
      if (!counted) {
        counted = true;
        this.ledger.callbackThrows++;
      }
      throw new Error('callback chaos');
    };
  }

  #apply(pool: ThreadPool, item: Item): void {
    const ledger = this.ledger;
    const promise = pool.apply(
      chaosTask,
      argsOf(item),
      item.bytes ? { transfer: [item.bytes.buffer as ArrayBuffer] } : undefined,
    );
    const unit = ledger.unit('apply', [item]);
    unit.done = follow(ledger, unit, promise, false);
    this.#checkTransferred(unit, item);
  }

  #applyAsync(pool: ThreadPool, item: Item, method: Method): void {
    const { ledger, rng } = this;
    const after = this.#maybeThrowing();
    let unit: Unit | undefined;
    const result = pool.applyAsync(chaosTask, argsOf(item), {
      ...(item.bytes ? { transfer: [item.bytes.buffer as ArrayBuffer] } : {}),
      callback: (value) => {
        ledger.settled(unit as Unit, outcomeOf(true, value), true);
        this.meddle();
        after();
      },
      errorCallback: (error) => {
        ledger.settled(unit as Unit, outcomeOf(false, error), true);
        this.#afterFault(error);
        this.meddle();
        after();
      },
    });
    unit = ledger.unit(method, [item]);
    const self = unit;
    self.ready = () => result.ready();
    if (rng.chance(0.05)) {
      // get(timeout): a TimeoutError leaves the task running; any other answer is its outcome.
      self.done = result.get(rng.int(0, 5)).then(
        (value) => arrive(ledger, self, outcomeOf(true, value), true),
        (error) => {
          if (!(error instanceof TimeoutError))
            return arrive(ledger, self, outcomeOf(false, error), true);
          bump(stats.events, 'get(timeout) timed out');
          return follow(ledger, self, result, true);
        },
      );
    } else {
      self.done = follow(ledger, self, result, true);
    }
    this.#checkTransferred(self, item);
  }

  #map(pool: ThreadPool, method: Method, items: Item[]): void {
    const { ledger, rng } = this;
    const chunksize = rng.chance(0.4) ? undefined : rng.chance(0.3) ? 1 : rng.int(2, 40);
    const star = method === 'starmap' || method === 'starmapAsync';
    const fn = chaosTask as (spec: Spec) => unknown;
    // Now and then a hostile input: the call rejects with its error, and none of it starts.
    const throwAt = items.length > 0 && rng.chance(0.12) ? rng.int(0, items.length - 1) : -1;
    const how = rng.pick(HOW);
    const asynchronous = rng.chance(0.5);
    const mapInput =
      throwAt < 0
        ? items.map(mapItemOf)
        : hostileInput(items.map(mapItemOf), throwAt, how, asynchronous);
    const starInput =
      throwAt < 0 ? items.map(argsOf) : hostileInput(items.map(argsOf), throwAt, how, asynchronous);
    if (throwAt >= 0) bump(stats.events, 'hostile map inputs');
    if (method === 'map' || method === 'starmap') {
      const promise = star
        ? pool.starmap(chaosTask, starInput, chunksize)
        : pool.map(fn, mapInput, chunksize);
      const unit = ledger.unit(method, items, chunksize ?? 0);
      if (throwAt >= 0) unit.throwAt = throwAt;
      unit.done = follow(ledger, unit, promise, false);
      return;
    }
    const after = this.#maybeThrowing();
    let unit: Unit | undefined;
    const hooks = {
      ...(chunksize === undefined ? {} : { chunksize }),
      callback: (values: unknown[]) => {
        ledger.settled(unit as Unit, outcomeOf(true, values), true);
        this.meddle();
        after();
      },
      errorCallback: (error: unknown) => {
        ledger.settled(unit as Unit, outcomeOf(false, error), true);
        this.#afterFault(error);
        this.meddle();
        after();
      },
    };
    const result = star
      ? pool.starmapAsync(chaosTask, starInput, hooks)
      : pool.mapAsync(fn, mapInput, hooks);
    unit = ledger.unit(method, items, chunksize ?? 0);
    if (throwAt >= 0) unit.throwAt = throwAt;
    const self = unit;
    self.ready = () => result.ready();
    self.done = follow(ledger, self, result, true);
  }

  #submit(executor: ThreadPoolExecutor, item: Item, method: Method): void {
    const { ledger, rng } = this;
    const future: Future<unknown> = executor.submit(
      chaosTask as (...args: unknown[]) => unknown,
      ...argsOf(item),
    );
    const unit = ledger.unit(method === 'probe' ? 'probe' : 'submit', [item]);
    const after = this.#maybeThrowing();
    future.addDoneCallback((f) => {
      ledger.settled(unit, undefined, true);
      if (f.cancelled()) unit.outcome = outcomeOf(false, new CancelledError('cancelled'));
      this.meddle();
      after();
    });
    this.futures.push({ future, unit });
    unit.ready = () => future.done();
    const settle = (outcome: Outcome): void => {
      if (unit.settlements !== 1) {
        ledger.violation(unit, item, `result() settled after ${unit.settlements} done-callbacks`);
      }
      const cancelled = unit.outcome && !unit.outcome.ok;
      if (cancelled && (outcome.ok || !(outcome.error instanceof CancelledError))) {
        ledger.violation(unit, item, 'cancelled, but result() did not reject with CancelledError');
      }
      unit.outcome = outcome;
      this.#afterFault(outcome.ok ? undefined : outcome.error);
      unit.finished = true;
    };
    unit.done = future.result().then(
      (value) => settle(outcomeOf(true, value)),
      (error) => settle(outcomeOf(false, error)),
    );
    if (method !== 'probe' && rng.chance(0.06)) {
      const cancel = (): void => {
        if (future.cancel()) {
          unit.cancelledByUser = true;
          bump(stats.events, 'future.cancel() succeeded');
        }
      };
      if (rng.chance(0.5)) cancel();
      else setTimeout(cancel, rng.int(0, 5));
    }
  }

  #imap(pool: ThreadPool, method: 'imap' | 'imapUnordered', items: Item[]): void {
    const { ledger, rng } = this;
    const chunksize = rng.chance(0.5) ? 1 : rng.int(2, 10);
    const throwAt = items.length > 0 && rng.chance(0.1) ? rng.int(0, items.length - 1) : -1;
    const specs = items.map(mapItemOf);
    const shape = rng.pick(['array', 'generator', 'async', 'hostile', 'hostileAsync'] as const);
    const gaps = rng.chance(0.3);
    const input: Iterable<Spec> | AsyncIterable<Spec> =
      shape === 'array' && throwAt < 0
        ? specs
        : shape === 'hostile' || shape === 'hostileAsync'
          ? hostileInput(specs, throwAt, rng.pick(HOW), shape === 'hostileAsync')
          : shape === 'async'
            ? (async function* () {
                for (let i = 0; i < specs.length; i++) {
                  if (i === throwAt) throw new Error(`input failed at ${i}`);
                  if (gaps && i % 7 === 3) await delay(1);
                  yield specs[i]!;
                }
              })()
            : (function* () {
                for (let i = 0; i < specs.length; i++) {
                  if (i === throwAt) throw new Error(`input failed at ${i}`);
                  yield specs[i]!;
                }
              })();
    const fn = chaosTask as (spec: Spec) => unknown;
    const iterator: IMapIterator<unknown> =
      method === 'imap'
        ? pool.imap(fn, input, rng.chance(0.5) ? chunksize : { chunksize })
        : pool.imapUnordered(fn, input, chunksize);
    const unit = ledger.unit(method, items, chunksize);
    if (throwAt >= 0) {
      unit.throwAt = throwAt;
      bump(stats.events, 'input errors');
    }
    const leaveAfter = rng.chance(0.06) ? rng.int(0, items.length) : -1;
    const timeouts = rng.chance(0.1);
    const slow = rng.chance(0.15);
    const consume = async (): Promise<void> => {
      let taken = 0;
      for (;;) {
        if (taken === leaveAfter) {
          bump(stats.events, 'imap left early');
          unit.end = 'return';
          await iterator.return();
          return;
        }
        let step: IteratorResult<unknown>;
        try {
          step = await iterator.next(timeouts ? rng.int(0, 3) : undefined);
        } catch (error) {
          if (error instanceof TimeoutError && timeouts) {
            bump(stats.events, 'next(timeout) timed out');
            continue;
          }
          const input = error instanceof Error && error.message.startsWith('input failed at');
          const cancelAllowed = ledger.terminateCalled;
          unit.sequence.push({ outcome: outcomeOf(false, error), input, cancelAllowed });
          this.#afterFault(error);
          taken++;
          continue;
        }
        if (step.done) {
          unit.end = 'done';
          return;
        }
        const cancelAllowed = ledger.terminateCalled;
        unit.sequence.push({ outcome: outcomeOf(true, step.value), input: false, cancelAllowed });
        taken++;
        if (slow && taken % 5 === 0) await delay(1);
      }
    };
    unit.done = consume().then(
      () => {
        unit.finished = true;
      },
      (error) => {
        ledger.violation(unit, undefined, `the consumer failed: ${describeValue(error)}`);
        unit.finished = true;
      },
    );
  }

  /**
   * An imap over an endless input (its tasks enter the ledger as they are read), consumed for a
   * while; now and then close() is called while it runs: it goes on as it is consumed, reading
   * only as results are taken, until the consumer leaves with return(), and then join() resolves.
   */
  endlessImap(): void {
    const { ledger, host } = this;
    if (host.flavour === 'executor') return;
    const pool = host.pool;
    const rng = this.meddleRng;
    const unit = ledger.unit('imap', []);
    const chunksize = rng.chance(0.5) ? 1 : rng.int(2, 6);
    unit.chunksize = chunksize;
    const asynchronous = rng.chance(0.5);
    const next = (): Spec | undefined => {
      // Endless, but for the ledger's room (kept for probes and meddling callbacks).
      if (ledger.items.length >= ledger.capacity - 100) return undefined;
      const item = ledger.item(rng, rng.chance(0.8) ? 'ok' : 'okAsync');
      unit.items.push(item);
      stats.tasks++;
      bump(stats.kinds, item.kind);
      return item.spec;
    };
    const input: Iterable<Spec> | AsyncIterable<Spec> = asynchronous
      ? (async function* () {
          for (let spec = next(); spec; spec = next()) yield spec;
        })()
      : (function* () {
          for (let spec = next(); spec; spec = next()) yield spec;
        })();
    let iterator: IMapIterator<unknown>;
    try {
      iterator = pool.imap(chaosTask as (spec: Spec) => unknown, input, chunksize);
    } catch (error) {
      if (!(error instanceof InvalidStateError && !this.running))
        ledger.violation(unit, undefined, `imap threw ${describeValue(error)}`);
      unit.finished = true;
      unit.end = 'return';
      return;
    }
    bump(stats.events, 'endless imap');
    const closeAt = rng.chance(0.8) ? rng.int(0, 100) : -1;
    const leaveAt = rng.int(closeAt < 0 ? 20 : closeAt + 1, 300);
    const consume = async (): Promise<void> => {
      for (let taken = 0; ; taken++) {
        if (taken === closeAt && pool.state === 'RUN') {
          bump(stats.events, 'close() during an endless imap');
          ledger.closed = true;
          pool.close();
        }
        if (taken >= leaveAt || ledger.terminateCalled) {
          unit.end = 'return';
          await iterator.return();
          return;
        }
        let step: IteratorResult<unknown>;
        try {
          step = await iterator.next();
        } catch (error) {
          const cancelAllowed = ledger.terminateCalled;
          unit.sequence.push({ outcome: outcomeOf(false, error), input: false, cancelAllowed });
          continue;
        }
        if (step.done) {
          unit.end = 'done';
          return;
        }
        const cancelAllowed = ledger.terminateCalled;
        unit.sequence.push({ outcome: outcomeOf(true, step.value), input: false, cancelAllowed });
      }
    };
    unit.done = consume().then(
      () => {
        unit.finished = true;
      },
      (error) => {
        ledger.violation(unit, undefined, `the consumer failed: ${describeValue(error)}`);
        unit.finished = true;
      },
    );
  }

  /** After a thread died: the pool must still serve a new task. */
  #afterFault(error: unknown): void {
    if (!(error instanceof WorkerExitError) || !this.running) return;
    if (this.probes.left <= 0 || this.ledger.full) return;
    this.probes.left--;
    stats.probes++;
    this.issue('probe', [this.ledger.item(this.rng, 'ok')]);
  }
}

// ---- one round ----------------------------------------------------------------------------------

type Ending = 'drain-close' | 'drain-terminate' | 'drain-dispose' | 'close-mid' | 'terminate-mid';

const ROUND_TIMEOUT_MS = intFromEnv('SPINDLE_CHAOS_ROUND_TIMEOUT', 60_000);

/**
 * Waits for every unit of the round to finish; reports those still pending (and returns false)
 * after `ms`, or at once if the event loop empties meanwhile (nothing held the process).
 */
async function allFinished(ledger: Ledger, ms: number, when: string): Promise<boolean> {
  const watch = deadline(ms);
  for (;;) {
    const pending = ledger.units.filter((unit) => !unit.finished);
    if (pending.length === 0) {
      watch.cancel();
      return true;
    }
    const end = await Promise.race([
      Promise.all(pending.map((unit) => unit.done)).then(() => 'done' as const),
      watch.reached,
    ]);
    if (end === 'done') continue;
    if (end === 'timeout') reportHung(ledger, when);
    else reportIdle(ledger, when);
    return false;
  }
}

/** The event loop emptied while the round still waited on the pool: nothing held the process. */
function reportIdle(ledger: Ledger, when: string): void {
  stats.idle++;
  const pool = ledger.stats?.();
  reportHung(
    ledger,
    `${when}, with nothing holding the event loop (the process would have ended there)${pool ? `; the pool's stats then: ${pool}` : ''}`,
  );
}

const reportedHang = new Set<Ledger>();

function reportHung(ledger: Ledger, when: string): void {
  reportedHang.add(ledger);
  const pending = ledger.units.filter((unit) => !unit.finished);
  stats.hung += pending.length;
  for (const unit of pending.slice(0, 5)) {
    const kinds = unit.items.map((item) => `${item.id}:${item.kind}/runs ${ledger.runs[item.id]}`);
    ledger.violation(
      unit,
      undefined,
      `hung ${when} (settlements ${unit.settlements}, imap outcomes ${unit.sequence.length}, ` +
        `started ${unit.items.filter((item) => ledger.runs[item.id] !== 0).length} of ${unit.items.length}, ` +
        `first never started: ${unit.items.find((item) => ledger.runs[item.id] === 0)?.id}; tasks ${kinds.slice(0, 8).join(' ')})`,
    );
  }
}

function checkAllReady(ledger: Ledger, when: string): void {
  for (const unit of ledger.units) {
    if (unit.ready && !unit.ready()) ledger.violation(unit, undefined, `not ready after ${when}`);
  }
}

/** Awaits `promise`; reports the ledger's pending units as hung if it takes over ROUND_TIMEOUT_MS. */
async function withTimeout(ledger: Ledger, promise: Promise<unknown>, when: string): Promise<void> {
  const watch = deadline(ROUND_TIMEOUT_MS);
  const end = await Promise.race([promise.then(() => 'done' as const), watch.reached]);
  watch.cancel();
  if (end === 'timeout') reportHung(ledger, when);
  else if (end === 'idle') reportIdle(ledger, when);
}

function onCallbackError(ledger: Ledger, error: unknown): void {
  if (error instanceof Error && error.message === 'callback chaos') ledger.callbackReports++;
  else ledger.violation(undefined, undefined, `unexpected 'error' event: ${describeValue(error)}`);
}

async function terminate(ledger: Ledger, pool: ThreadPool): Promise<void> {
  ledger.terminateCalled = true;
  await withTimeout(ledger, pool.terminate(), 'in terminate()');
  ledger.terminated = true;
  // Every task not settled before terminate() is settled (CancelledError) when it resolves.
  checkAllReady(ledger, 'terminate() resolved');
  await withTimeout(ledger, pool.join(), 'in join()');
  ledger.finished = true;
}

async function shutdown(
  ledger: Ledger,
  executor: ThreadPoolExecutor,
  dispose: boolean,
): Promise<void> {
  ledger.closed = true;
  const done = dispose ? executor[Symbol.asyncDispose]() : executor.shutdown({ wait: true });
  await withTimeout(ledger, done, 'in shutdown()');
  ledger.finished = true;
  checkAllReady(ledger, 'shutdown() resolved');
}

/** After everything the round went through, the pool still serves a task. */
async function finalProbe(round: Round): Promise<void> {
  const { ledger, host } = round;
  for (let attempt = 0; attempt < 3 && !ledger.full; attempt++) {
    const item = ledger.item(round.rng, 'ok');
    stats.probes++;
    const promise =
      host.flavour === 'executor'
        ? host.executor.submit(chaosTask as (spec: Spec) => unknown, item.spec).result()
        : host.pool.apply(chaosTask, [item.spec]);
    const unit = ledger.unit('probe', [item]);
    let outcome: Outcome | undefined;
    unit.done = promise.then(
      (value) => {
        outcome = outcomeOf(true, value);
      },
      (error) => {
        outcome = outcomeOf(false, error);
      },
    );
    await withTimeout(ledger, unit.done, 'serving a probe');
    if (!outcome) return;
    ledger.settled(unit, outcome, false);
    unit.finished = true;
    // A bomb's timer may still go off in a thread; anything else must be served.
    if (outcome.ok || !(outcome.error instanceof WorkerExitError)) return;
  }
}

async function runRound(
  round: number,
  seed: number,
  size: number,
  executorEnabled: boolean,
): Promise<number> {
  const rng = new Rng(seed);
  const flavour: Flavour = executorEnabled
    ? rng.weighted({ pool: 6, local: 1.5, executor: 2.5 })
    : rng.weighted({ pool: 7, local: 1.5 });
  stats.rounds++;
  stats.pools[flavour]++;
  const key = `r${round}`;
  const ledger = new Ledger(key, flavour, round, seed, size + 400);
  const killers = flavour === 'local' ? 0 : rng.pick([0, 0.5, 1, 1, 3]);
  const weights: Partial<Record<Kind, number>> =
    flavour === 'local'
      ? { ok: 50, okAsync: 25, throw: 12, throwAsync: 8, throwValue: 3 }
      : {
          ok: 35,
          okAsync: 19,
          throw: 7,
          throwAsync: 5,
          throwValue: 2,
          throwBad: 1,
          badResult: 2,
          badArg: 3,
          deepResult: 1,
          hostileThrow: 2,
          hostileThen: 1.5,
          busy: 1.5,
          transfer: flavour === 'executor' ? 0 : 4,
          exit: 0.35 * killers,
          bomb: 0.25 * killers,
        };
  const ending: Ending =
    flavour === 'executor'
      ? rng.weighted({ 'drain-close': 4, 'drain-dispose': 2, 'close-mid': 4 })
      : rng.weighted({
          'drain-close': 3,
          'drain-terminate': 1,
          'drain-dispose': 1,
          'close-mid': 2,
          'terminate-mid': 3,
        });
  const workers = rng.pick([1, 2, 3, 4, 8, 16, 64]);
  const threads = flavour === 'local' ? 0 : Math.min(workers, rng.pick([1, 2, 2, 3]));
  const oom = flavour !== 'local' && rng.chance(0.12);
  const options = {
    threads,
    initializer: chaosInit,
    initargs: [key, ledger.runs.buffer, ledger.threads.buffer],
    ...(flavour !== 'local' && rng.chance(0.2) ? { maxTasksPerThread: rng.int(50, 500) } : {}),
    ...(flavour !== 'local' && rng.chance(0.15) ? { idleTimeout: rng.int(1, 30) } : {}),
    ...(oom ? { resourceLimits: { maxOldGenerationSizeMb: 32 } } : {}),
    // Half the rounds time their tasks (decided by the seed: no draw, so replays stay as they were).
    timings: (seed & 1) === 1,
  };
  let host: Host;
  if (flavour === 'executor') {
    const executor = new ThreadPoolExecutor({ maxWorkers: workers, ...options });
    executor.on('error', (error) => onCallbackError(ledger, error));
    host = { flavour, executor };
  } else {
    const pool = new ThreadPool({ workers, ...options });
    pool.on('error', (error) => onCallbackError(ledger, error));
    host = { flavour, pool };
  }
  // The pool or the executor: both report their threads and their stats alike.
  const owner: ThreadPool | ThreadPoolExecutor =
    host.flavour === 'executor' ? host.executor : host.pool;
  if (VERBOSE) {
    owner.on('threadExit', (event) =>
      console.error(
        `  [${key}] threadExit ${JSON.stringify(event)} at ${Date.now() - roundStarted} ms`,
      ),
    );
  }
  ledger.stats = () => JSON.stringify(owner.stats());
  const r = new Round(ledger, host, rng, weights);
  r.meddles = r.meddleRng.chance(0.5) ? r.meddleRng.int(1, 8) : 0;
  live.add(ledger);
  const roundStarted = Date.now();
  const shown = { ...options, initializer: undefined, initargs: undefined };
  ledger.config = `${flavour} workers ${workers} ${JSON.stringify(shown)} ${ending}, replay with SPINDLE_CHAOS_REPLAY=${seed}:${size}`;
  if (VERBOSE) console.error(`round ${round} (seed ${seed}): ${ledger.config}`);
  const methods: Partial<Record<Method, number>> =
    flavour === 'executor'
      ? { submit: 1 }
      : {
          applyAsync: 30,
          apply: 10,
          mapAsync: 10,
          map: 8,
          starmap: 5,
          starmapAsync: 5,
          imap: 12,
          imapUnordered: 12,
        };

  // Issue calls until `size` tasks; a mid-flight ending strikes after `midAt` of them.
  const midAt = ending.endsWith('-mid') ? rng.int(0, size) : -1;
  let struck = false;
  const strike = async (): Promise<void> => {
    struck = true;
    if (!r.running) return; // A callback closed or terminated it already.
    if (host.flavour === 'executor') {
      const cancelFutures = rng.chance(0.5);
      ledger.shutdownCancel ||= cancelFutures;
      ledger.closed = true;
      bump(
        stats.events,
        cancelFutures ? 'shutdown(cancelFutures) mid-flight' : 'shutdown mid-flight',
      );
      void host.executor.shutdown({ wait: false, cancelFutures });
    } else if (ending === 'close-mid') {
      ledger.closed = true;
      bump(stats.events, 'close() mid-flight');
      host.pool.close();
    } else {
      await delay(rng.int(0, 200));
      bump(stats.events, 'terminate() mid-flight');
      await terminate(ledger, host.pool);
    }
  };
  let issued = 0;
  let oomLeft = oom ? 1 : 0;
  let endlessAt = host.flavour === 'pool' && rng.chance(0.35) ? rng.int(0, size) : -1;
  let hangsLeft = ending === 'terminate-mid' && rng.chance(0.5) ? rng.int(1, 3) : 0;
  while (issued < size && !ledger.full) {
    if (!struck && midAt >= 0 && issued >= midAt) await strike();
    if (endlessAt >= 0 && issued >= endlessAt) {
      endlessAt = -1;
      r.endlessImap();
      if (!r.running) break;
    }
    if (hangsLeft > 0 && rng.chance(0.3)) {
      // A task that never ends: only terminate() settles it (and what runs beside it).
      hangsLeft--;
      const sync = threads >= 2 && rng.chance(0.7);
      if (!r.issue('applyAsync', [ledger.item(rng, sync ? 'hang' : 'hangAsync')])) break;
    }
    if (host.flavour === 'pool' && rng.chance(0.05)) {
      // Long synchronous tasks, then tasks with transfer lists queued behind them: the scheduler
      // takes queued tasks back from a busy thread with their buffers in flight.
      bump(stats.events, 'transfers behind long synchronous tasks');
      const batch = [
        ...Array.from({ length: rng.int(1, threads + 1) }, () => 'busy' as const),
        ...Array.from({ length: rng.int(2, 12) }, () => 'transfer' as const),
      ];
      let refused = false;
      for (const kind of batch) {
        if (ledger.full) break;
        if (!r.issue('applyAsync', [ledger.item(rng, kind)])) {
          refused = true;
          break;
        }
        issued++;
      }
      if (refused) break;
    }
    const method = rng.weighted(methods);
    const single = SINGLE.has(method);
    // Single-task calls come in bursts (a loop of applyAsync, as users write), maps one by one.
    const burst = single ? rng.int(1, host.flavour === 'executor' ? 10 : 40) : 1;
    let refused = false;
    for (let b = 0; b < burst && issued < size && !ledger.full; b++) {
      const count = single ? 1 : rng.chance(0.5) ? rng.int(0, 20) : rng.int(20, 300);
      const items = r.items(count, single);
      if (oomLeft > 0 && items.length > 0 && rng.chance(0.1) && !ledger.full) {
        oomLeft--;
        items[rng.int(0, items.length - 1)] = ledger.item(rng, 'oom');
      }
      if (!r.issue(method, items)) {
        refused = true;
        break;
      }
      if (VERBOSE) {
        const unit = ledger.units[ledger.units.length - 1]!;
        const kinds = items.map((item) => `${item.id}:${item.kind}`).join(' ');
        console.error(`  ${unit.method}#${unit.n} chunksize ${unit.chunksize} ${kinds}`);
      }
      issued += items.length;
    }
    if (refused) break;
    const pause = rng.next();
    if (pause < 0.2) await nextTurn();
    else if (pause < 0.27) await delay(rng.int(1, 10));
  }
  if (!struck && midAt >= 0) await strike();
  if (struck) {
    // Issuing after close()/terminate()/shutdown() throws at once and issues nothing.
    try {
      if (host.flavour === 'executor') host.executor.submit(() => 1);
      else host.pool.applyAsync(() => 1);
      ledger.violation(undefined, undefined, 'issuing after close/terminate did not throw');
    } catch (error) {
      if (!(error instanceof InvalidStateError))
        ledger.violation(undefined, undefined, `issuing after close threw ${describeValue(error)}`);
    }
  }

  if (ending.startsWith('drain')) {
    // Every call settles while the pool runs, and the pool still serves after all of it.
    await allFinished(ledger, ROUND_TIMEOUT_MS, 'while the pool ran');
    if (r.running) await finalProbe(r);
  }
  if (r.stopping) await r.stopping;
  if (host.flavour === 'executor') {
    if (!ledger.finished) await shutdown(ledger, host.executor, ending === 'drain-dispose');
  } else if (ending === 'drain-close' || ending === 'close-mid') {
    host.pool.close();
    ledger.closed = true;
    await withTimeout(ledger, host.pool.join(), 'in join()');
    ledger.finished = true;
    checkAllReady(ledger, 'close() and join()');
  } else if (ending === 'drain-dispose') {
    ledger.terminateCalled = true;
    await withTimeout(ledger, host.pool[Symbol.asyncDispose](), 'in [Symbol.asyncDispose]()');
    ledger.terminated = true;
    ledger.finished = true;
    checkAllReady(ledger, 'await using');
  } else if (!ledger.terminateCalled) {
    await terminate(ledger, host.pool);
  }
  await allFinished(ledger, 10_000, 'after the pool stopped');
  // A callback may have terminated the pool during the ending: that too must finish.
  if (r.stopping) await r.stopping;
  await allFinished(ledger, 10_000, 'after the pool stopped');
  await delay(5); // Anything settling late would show now.
  live.delete(ledger);
  const before = stats.violations;
  judgeRound(ledger);
  judgeStats(ledger, host.flavour === 'executor' ? host.executor.stats() : host.pool.stats());
  if (VERBOSE) console.error(`round ${round} done in ${Date.now() - roundStarted} ms`);
  if (ledger.callbackReports !== ledger.callbackThrows) {
    ledger.violation(
      undefined,
      undefined,
      `${ledger.callbackThrows} callbacks threw, ${ledger.callbackReports} reported on 'error'`,
    );
  }
  bump(stats.events, "callback throws reported on 'error'", ledger.callbackReports);
  if (stats.violations > before || reportedHang.has(ledger)) {
    violations.push(`  (round ${round}: ${ledger.config})`);
  }
  return ledger.units.reduce((sum, unit) => sum + unit.items.length, 0);
}

// ---- the run ------------------------------------------------------------------------------------

export async function main(): Promise<void> {
  const seed = seedFromEnv();
  const target = intFromEnv('SPINDLE_CHAOS_TASKS', 20_000);
  const lanes = intFromEnv('SPINDLE_CHAOS_LANES', 2);
  const executorEnabled = process.env.SPINDLE_CHAOS_EXECUTOR !== '0';
  console.log(`chaos: seed ${seed}, ${target} tasks, executor ${executorEnabled ? 'on' : 'off'}`);
  // Start libuv's thread pool first, so that its threads do not count as left behind.
  readFileSync(new URL(import.meta.url));
  await delay(50);
  const baseline = osThreads();
  const started = Date.now();
  const master = new Rng(seed);
  let round = 0;
  let planned = 0;
  const dumper = setInterval(dumpLive, 30_000);
  dumper.unref();
  const replay = process.env.SPINDLE_CHAOS_REPLAY;
  const lane = async (): Promise<void> => {
    if (replay) {
      const [roundSeed, size] = replay.split(':').map(Number);
      if (round === 0)
        await runRound(round++, roundSeed as number, size as number, executorEnabled);
      return;
    }
    while (planned < target) {
      const size = Math.min(master.int(100, 1000), Math.max(50, target - planned));
      planned += size;
      // A round ended early (close or terminate mid-flight) gives its unissued tasks back.
      const issued = await runRound(round++, master.fork(), size, executorEnabled);
      planned -= Math.max(0, size - issued);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  const control = replay ? undefined : await controlChaos(master.fork(), target);
  clearInterval(dumper);
  // terminate() cannot stop a task already running on a `threads: 0` pool (it runs on this very
  // thread): such a task's own timer (40 ms at most) may still be pending. It ends by itself.
  await delay(100);
  const left = await threadsSettle(baseline, 5000);
  const leaked = Math.max(0, left - baseline);
  if (leaked > 0) violations.push(`${leaked} threads left after every pool stopped`);
  const result = {
    seed,
    ms: Date.now() - started,
    ...stats,
    leakedThreads: leaked,
    control,
    // What still holds the event loop, but this process's own stdout and stderr pipes.
    activeResources: process
      .getActiveResourcesInfo()
      .filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap'),
    violationList: violations,
  };
  printResult(result);
  if (violations.length > 0) {
    console.error(
      `chaos: ${stats.violations} violations (seed ${seed}):\n${violations.join('\n')}`,
    );
    process.exitCode = 1;
  }
}

/**
 * Random aborts and timeouts (chaos-control.ts): a part of its own, after the rounds above, with
 * its own ledger; what it finds joins this run's violations. SPINDLE_CHAOS_CONTROL_CALLS sets its
 * size (default a tenth of the tasks).
 */
async function controlChaos(seed: number, tasks: number): Promise<ControlChaosStats> {
  const calls = intFromEnv('SPINDLE_CHAOS_CONTROL_CALLS', Math.ceil(tasks / 10));
  console.log(`chaos: control part, seed ${seed}, ${calls} calls`);
  const found = await runControlChaos(new Rng(seed), calls);
  for (const violation of found.violations) {
    violations.push(`control (seed ${seed}): ${violation}`);
    stats.violations++;
  }
  return found.stats;
}

await main();
