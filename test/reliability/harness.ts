/**
 * Shared by the reliability suite: a seeded random generator (every run prints its seed, and
 * `SPINDLE_SEED` replays it), a way to run a TypeScript script in a child process whose worker
 * threads do not load the TypeScript loader (so a thread starts as fast as in a user's program
 * run on the built package), and OS-level thread counting.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** sfc32: small, fast, good enough for test generation, and reproducible from one 32-bit seed. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(readonly seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks a key with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Partial<Record<K, number>>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let total = 0;
    for (const [, w] of entries) total += w;
    let x = this.next() * total;
    for (const [key, w] of entries) {
      x -= w;
      if (x < 0) return key;
    }
    return (entries[entries.length - 1] as [K, number])[0];
  }

  /** A seed for a sub-generator. */
  fork(): number {
    return Math.floor(this.next() * 2 ** 32) >>> 0;
  }
}

/** `SPINDLE_SEED` if set, else a fresh random seed. */
export function seedFromEnv(): number {
  const given = process.env.SPINDLE_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed)) throw new Error(`SPINDLE_SEED must be an integer, got ${given}`);
    return seed >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

/** A positive integer from the environment, or the default. */
export function intFromEnv(name: string, fallback: number): number {
  const given = process.env[name];
  if (given === undefined || given === '') return fallback;
  const value = Number(given);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be an integer >= 1`);
  return value;
}

/** OS threads of this process (Linux): each worker thread is one. */
export function osThreads(): number {
  return readdirSync('/proc/self/task').length;
}

/** Waits up to `ms` for the OS thread count to fall to `target` or below; returns the count. */
export async function threadsSettle(target: number, ms = 3000): Promise<number> {
  const until = Date.now() + ms;
  let count = osThreads();
  while (count > target && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    count = osThreads();
  }
  return count;
}

export interface ChildRun {
  /** Exit code, or null if the child was killed (timeout). */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
  /** The JSON object the child printed on a line starting with RESULT_PREFIX, if any. */
  result: Record<string, unknown> | undefined;
}

export const RESULT_PREFIX = 'SPINDLE_RESULT ';

/** Prints the child's result line (read by runScript in the parent). */
export function printResult(result: Record<string, unknown>): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs a TypeScript script of this directory in a fresh `node`, loaded through tsx's
 * `tsImport()` rather than `--import tsx`: spindle's threads inherit the process's `--import`
 * flags, and a thread that loads tsx takes several times longer to start. The child must exit by
 * itself: after `timeoutMs` it is killed and `timedOut` is set.
 */
export function runScript(
  script: string,
  options: { env?: Record<string, string>; timeoutMs: number; nodeArgs?: string[] },
): Promise<ChildRun> {
  const url = new URL(script, import.meta.url).href;
  const loader = `const { tsImport } = await import('tsx/esm/api'); await tsImport(${JSON.stringify(url)}, import.meta.url);`;
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--input-type=module', '-e', loader],
    { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      let result: Record<string, unknown> | undefined;
      for (const line of stdout.split('\n')) {
        if (line.startsWith(RESULT_PREFIX)) result = JSON.parse(line.slice(RESULT_PREFIX.length));
      }
      resolve({ status, signal, stdout, stderr, ms: Date.now() - started, timedOut, result });
    });
  });
}

/** The tail of a long text, for assertion messages. */
export function tail(text: string, chars = 6000): string {
  return text.length <= chars ? text : `…${text.slice(-chars)}`;
}

/** What ended a {@link deadline}: its time ran out, or the event loop emptied first. */
export type DeadlineEnd = 'timeout' | 'idle';

const idleWaiters = new Set<(end: DeadlineEnd) => void>();
let listening = false;

function onBeforeExit(): void {
  const waiters = [...idleWaiters];
  idleWaiters.clear();
  for (const wake of waiters) wake('idle');
}

/**
 * A watchdog for an await on a pool: `reached` resolves 'timeout' after `ms`, or 'idle' when the
 * event loop empties first. Its timer does not hold the loop, so that a pool which holds nothing
 * while a caller still waits on it shows: the process would end there with the await pending
 * (status 13, an unsettled top-level await), as a user's own script would. 'beforeExit' is where
 * that is seen; resolving wakes the waiter, which goes on and reports it.
 */
export function deadline(ms: number): { reached: Promise<DeadlineEnd>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let wake: ((end: DeadlineEnd) => void) | undefined;
  const reached = new Promise<DeadlineEnd>((resolve) => {
    wake = (end) => {
      clearTimeout(timer);
      idleWaiters.delete(wake as (end: DeadlineEnd) => void);
      resolve(end);
    };
    timer = setTimeout(wake, ms, 'timeout');
    timer.unref();
  });
  if (!listening) {
    process.on('beforeExit', onBeforeExit);
    listening = true;
  }
  idleWaiters.add(wake as (end: DeadlineEnd) => void);
  return {
    reached,
    cancel: () => {
      clearTimeout(timer);
      idleWaiters.delete(wake as (end: DeadlineEnd) => void);
    },
  };
}
