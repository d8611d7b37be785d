/**
 * What the client (the pool's carrier, carrier.ts) and a `spindle worker` (cli/serve.ts) say to
 * each other through Redis, besides the BullMQ jobs themselves: the key names, a job's data, and
 * the messages a worker pushes onto the client's results list. Values inside them are V8
 * serialized (the structured clone that worker threads use), never JSON.
 */
import { deserialize, serialize } from 'node:v8';

/** Queue names become parts of Redis keys: letters, digits, `_`, `-` and `.` only. */
export const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** How long a client's liveness key lives without being renewed (it renews it every third of it). */
export const CLIENT_TTL_MS = 15_000;
/** How long a results list lives after the last push (its client reads it long before that). */
export const RESULTS_TTL_MS = 10 * 60_000;

export function aliveKey(queue: string, client: string): string {
  return `spindle:${queue}:alive:${client}`;
}

export function resultsKey(queue: string, client: string): string {
  return `spindle:${queue}:results:${client}`;
}

/**
 * The workers serving a queue: a sorted set of worker ids scored by when their registration
 * expires (each renews its own every WORKER_TTL_MS / 3), so that dead workers fall out by time.
 */
export function workersKey(queue: string): string {
  return `spindle:${queue}:workers`;
}

/** How long a worker's registration lasts without being renewed. */
export const WORKER_TTL_MS = 15_000;

/** A client's initializer failures: a hash of worker id → the error (V8 serialized, base64). */
export function initFailuresKey(queue: string, client: string): string {
  return `spindle:${queue}:initfail:${client}`;
}

/** The pub/sub channel on which clients tell workers to abort running jobs. */
export function abortChannel(queue: string): string {
  return `spindle:${queue}:abort`;
}

/** How a job names its task function. */
export type JobFunction =
  /** A task module's export: `module` is the reference (see module-refs.ts). */
  | { module: string; exportName: string }
  /** An inline function's source (only run by workers started with `--allow-inline`). */
  | { source: string; name: string };

/** The pool's initializer, as every job of its client carries it. */
export interface JobInit {
  fn: JobFunction;
  /** `initargs`, V8 serialized, base64. */
  args: string;
  /** `initializerTimeout` (ms): past it, the initializer counts as failed on that worker. */
  timeout: number;
}

function isJobFunction(fn: unknown): fn is JobFunction {
  if (fn === null || typeof fn !== 'object') return false;
  const f = fn as Record<string, unknown>;
  return (
    (typeof f.module === 'string' && typeof f.exportName === 'string') ||
    (typeof f.source === 'string' && typeof f.name === 'string')
  );
}

/** A BullMQ job's data: one task (a call, or a chunk of a map). */
export interface JobData {
  /** The client's id: where results go, whose liveness counts. */
  client: string;
  /** The task's seq at its client's carrier. */
  seq: number;
  fn: JobFunction;
  /** protocol Mode with its TaskFlags. */
  mode: number;
  /** The payload (argument list, or a chunk's items), V8 serialized, base64. */
  payload: string;
  /** The pool's initializer: a worker runs it before the first task of this client there. */
  init?: JobInit;
}

/** Whether a job's data is one a spindle client made (anyone may write to a queue). */
export function isJobData(data: unknown): data is JobData {
  if (data === null || typeof data !== 'object') return false;
  const job = data as Partial<JobData>;
  const init = job.init as Partial<JobInit> | undefined;
  return (
    typeof job.client === 'string' &&
    Number.isInteger(job.seq) &&
    Number.isInteger(job.mode) &&
    typeof job.payload === 'string' &&
    isJobFunction(job.fn) &&
    (init === undefined ||
      (init !== null &&
        isJobFunction(init.fn) &&
        typeof init.args === 'string' &&
        Number.isInteger(init.timeout) &&
        (init.timeout as number) > 0))
  );
}

/** What a worker pushes onto a client's results list. */
export const Note = {
  /** The task started (its running time counts from now): `[Started, seq]`. */
  Started: 0,
  /** `[Progress, seq, value]`. */
  Progress: 1,
  /** `[Result, seq, outcome, value]`: value as wire.ts's encodeOutcome made it. */
  Result: 2,
  /** The client's initializer failed on a worker, which takes no more of its jobs: `[InitFailed, workerId]`. */
  InitFailed: 3,
} as const;
export type Note = (typeof Note)[keyof typeof Note];

export function encodeNote(note: readonly unknown[]): Buffer {
  return serialize(note);
}

export function decodeNote(bytes: Buffer): unknown[] {
  return deserialize(bytes) as unknown[];
}

/** The job id of a client's task: BullMQ ids must not be plain integers. */
export function jobId(client: string, seq: number): string {
  return `${client}.${seq}`;
}

/** A redis URL with its password hidden, for messages. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return '(a URL that does not parse)';
  }
}
