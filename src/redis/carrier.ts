/**
 * The client side of a pool whose backend is a Redis queue: one carrier (a ThreadHandle) whose
 * task slots are the pool's `workers`. Each task it is sent becomes one BullMQ job (a map chunk is
 * one job); the `spindle worker` that takes it pushes what the task reports (started, progress,
 * its outcome) onto this client's results list, which the carrier reads with a blocking pop.
 *
 * - At least once, settled once: a job may run twice (a worker killed mid-task gives it back to
 *   the queue through BullMQ's stalled-job check), but only the first outcome of a seq counts.
 * - Redis lost and back (within `reconnectTimeout`): the tasks not answered are added again under
 *   the same job ids, which BullMQ ignores for jobs it still has; a Redis restarted empty gets
 *   them all back. Lost for longer: the carrier exits, its tasks fail, a new carrier is tried.
 * - A task sent counts as started (the queue is where it waits): an abort removes its job if no
 *   worker has taken it, and otherwise tells the workers, whose task sees `signal()` abort.
 * - The client's liveness is a key it renews: a worker skips the jobs of a client that is gone.
 */
import { randomBytes } from 'node:crypto';
import { serialize } from 'node:v8';
import type { Task } from '../engine/task.js';
import { serializeError } from '../protocol/errors.js';
import { Outcome } from '../protocol/messages.js';
import {
  ThreadHandle,
  type ThreadReports,
  type ThreadSpec,
  ThreadState,
} from '../threads/thread-handle.js';
import { argumentCloneError } from '../threads/thread-messages.js';
import {
  type BullQueue,
  loadDrivers,
  makeClient,
  type RedisClient,
  refClient,
  within,
} from './drivers.js';
import { InitWatch } from './init-watch.js';
import { moduleReference } from './module-refs.js';
import { decodeOutcome } from './outcome-codec.js';
import type { RedisSettings } from './settings.js';
import {
  abortChannel,
  aliveKey,
  CLIENT_TTL_MS,
  decodeNote,
  initFailuresKey,
  type JobData,
  type JobFunction,
  type JobInit,
  jobId,
  Note,
  resultsKey,
} from './wire.js';

/** How many results one read takes at most. */
const READ_BATCH = 512;
/** How long a stop may wait for Redis (removing jobs, closing) before it exits anyway. */
const STOP_WAIT_MS = 2000;

interface SentJob {
  name: string;
  data: JobData;
  opts: { jobId: string; removeOnComplete: { age: number }; removeOnFail: { age: number } };
}

export class RedisCarrier extends ThreadHandle {
  readonly #host: ThreadReports;
  readonly #settings: RedisSettings;
  /** This client's id in job data and key names. */
  readonly #client = randomBytes(9).toString('base64url');
  readonly #results: string;
  readonly #alive: string;
  /** Jobs sent and not answered, by seq: what is added again after Redis comes back. */
  readonly #jobs = new Map<number, SentJob>();
  #commands: RedisClient | undefined;
  #reader: RedisClient | undefined;
  #queue: BullQueue | undefined;
  #lastError: Error | undefined;
  #gone = false;
  #connected = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #downTimer: NodeJS.Timeout | undefined;
  /** The pool's initializer, carried by every job; and the watch over its failures on workers. */
  readonly #init: JobInit | undefined;
  #initWatch: InitWatch | undefined;
  #exit!: () => void;
  readonly #exited = new Promise<void>((resolve) => {
    this.#exit = resolve;
  });

  constructor(
    host: ThreadReports,
    spec: ThreadSpec,
    settings: RedisSettings,
    init: JobInit | undefined,
  ) {
    super(spec);
    this.#host = host;
    this.#settings = settings;
    this.#init = init;
    this.#results = resultsKey(settings.queue, this.#client);
    this.#alive = aliveKey(settings.queue, this.#client);
    void this.#start();
  }

  async #start(): Promise<void> {
    const settings = this.#settings;
    try {
      const drivers = await loadDrivers();
      if (this.#gone) return;
      const onError = (error: Error): void => {
        this.#lastError = error;
      };
      const commands = makeClient(drivers, settings, `spindle-client-${this.#client}`, onError);
      this.#commands = commands;
      this.#reader = makeClient(drivers, settings, `spindle-results-${this.#client}`, onError);
      await within(commands.ping(), settings.connectTimeout, () => {
        const why = this.#lastError ? `: ${this.#lastError.message}` : '';
        return new Error(
          `Cannot reach Redis for the ${settings.description} within ${settings.connectTimeout} ms (connectTimeout)${why}`,
        );
      });
      if (this.#gone) return;
      this.#queue = new drivers.Queue(settings.queue, { connection: commands });
      this.#queue.on('error', onError);
      await commands.set(this.#alive, '1', 'PX', CLIENT_TTL_MS);
    } catch (error) {
      this.#crash(error);
      return;
    }
    if (this.#gone) return;
    this.#connected = true;
    this.#watchConnection();
    this.#heartbeat = setInterval(() => {
      this.#commands?.set(this.#alive, '1', 'PX', CLIENT_TTL_MS).catch(() => {});
    }, CLIENT_TTL_MS / 3);
    this.#heartbeat.unref();
    if (this.#init) {
      this.#initWatch = new InitWatch(
        this.#commands as RedisClient,
        settings.queue,
        this.#client,
        (error) => this.#initFailedEverywhere(error),
        () => this.#jobs.size > 0,
      );
    }
    this.#updateRef();
    void this.#read();
    this.#host.threadReady(this);
  }

  /** Redis lost: the tasks wait for it `reconnectTimeout` ms; back: what it lost is sent again. */
  #watchConnection(): void {
    const commands = this.#commands as RedisClient;
    commands.on('close', () => {
      if (this.#gone || this.#downTimer) return;
      this.#connected = false;
      this.#downTimer = setTimeout(() => {
        const why = this.#lastError ? `: ${this.#lastError.message}` : '';
        this.#crash(
          new Error(
            `Lost the connection to Redis for the ${this.#settings.description} for more than ${this.#settings.reconnectTimeout} ms (reconnectTimeout)${why}`,
          ),
        );
      }, this.#settings.reconnectTimeout);
      if (this.#jobs.size === 0) this.#downTimer.unref();
    });
    commands.on('ready', () => {
      if (this.#downTimer) clearTimeout(this.#downTimer);
      this.#downTimer = undefined;
      if (this.#gone || this.#connected) return;
      this.#connected = true;
      this.#updateRef();
      void this.#resend();
    });
    // A reconnected socket is a new one: it must be let go, or held, as the old one was.
    this.#reader?.on('ready', () => this.#updateRef());
  }

  async #resend(): Promise<void> {
    try {
      await this.#commands?.set(this.#alive, '1', 'PX', CLIENT_TTL_MS);
    } catch {}
    const jobs = [...this.#jobs.values()];
    if (jobs.length > 0) this.#add(jobs);
  }

  /**
   * Every live worker failed the initializer: the pool is broken (its tasks fail with
   * BrokenPoolError, whose cause is the initializer's error), as when a thread's initializer fails.
   */
  #initFailedEverywhere(error: unknown): void {
    if (this.#gone) return;
    this.#host.threadInitFailed(this, error);
  }

  /** It cannot go on (Redis unreachable): its tasks fail, and the engine decides what next. */
  #crash(error: unknown): void {
    if (this.#gone) return;
    this.#close();
    const code = 1;
    this.#host.threadExited(this, code, error);
    this.#exit();
  }

  send(tasks: Task[]): void {
    const jobs: SentJob[] = [];
    for (const task of tasks) {
      let job: SentJob;
      const seq = this.nextSeq;
      try {
        job = this.#encode(task, seq);
      } catch (error) {
        this.#host.taskFailed(this, task, error);
        continue;
      }
      this.nextSeq++;
      this.track(task, seq);
      this.#jobs.set(seq, job);
      jobs.push(job);
    }
    if (jobs.length > 0) {
      this.#updateRef();
      this.#add(jobs);
    }
  }

  #encode(task: Task, seq: number): SentJob {
    let bytes: Uint8Array;
    const payload = task.payload as { bytes?: unknown } | unknown[];
    if (!Array.isArray(payload) && payload?.bytes instanceof Uint8Array) {
      // Serialized when the call was made (engine/capture.ts): the same V8 format.
      bytes = payload.bytes;
    } else {
      try {
        bytes = serialize(payload);
      } catch (error) {
        throw argumentCloneError(error, task);
      }
    }
    if (bytes.byteLength > this.#settings.maxJobBytes) {
      const what = task.mode === 0 ? "The task's arguments take" : "The chunk's items take";
      throw new RangeError(
        `${what} ${bytes.byteLength} bytes serialized, more than the redis backend's maxJobBytes (${this.#settings.maxJobBytes}): ` +
          'pass large data by reference (a key, a path, a URL), or raise maxJobBytes',
      );
    }
    const def = task.record.def;
    const fn: JobFunction =
      def.kind === 'module'
        ? { module: moduleReference(def.url, this.#settings.root), exportName: def.exportName }
        : { source: def.source, name: def.name };
    const id = jobId(this.#client, seq);
    return {
      name: def.kind === 'module' ? def.exportName : def.name || 'inline',
      data: {
        client: this.#client,
        seq,
        fn,
        mode: task.mode | task.flags,
        payload: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
        ...(this.#init ? { init: this.#init } : {}),
      },
      opts: { jobId: id, removeOnComplete: { age: 600 }, removeOnFail: { age: 600 } },
    };
  }

  #add(jobs: SentJob[]): void {
    const queue = this.#queue as BullQueue;
    queue.addBulk(jobs).catch((error: unknown) => {
      if (this.#gone) return;
      const results: unknown[] = [];
      for (const job of jobs) {
        if (!this.#jobs.delete(job.data.seq)) continue;
        const why = error instanceof Error ? error.message : String(error);
        results.push(
          job.data.seq,
          Outcome.Error,
          new Error(`The task could not be queued on the ${this.#settings.description}: ${why}`, {
            cause: error,
          }),
        );
      }
      this.#updateRef();
      if (results.length > 0) this.#host.threadResults(this, results);
    });
  }

  /**
   * Reads the results list for as long as the carrier lives: what is there at once, else a
   * blocking pop for the next one, delivered as soon as it comes.
   */
  async #read(): Promise<void> {
    const reader = this.#reader as RedisClient;
    while (!this.#gone) {
      let notes: Buffer[] | null;
      try {
        notes = await reader.lpopBuffer(this.#results, READ_BATCH);
        if (notes === null) {
          const next = await reader.blpopBuffer(this.#results, 1);
          notes = next === null ? null : [next[1]];
        }
      } catch {
        if (this.#gone) return;
        // Redis is away: the client reconnects by itself; try again shortly.
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (this.#gone) return;
      if (notes !== null) this.#deliver(notes);
    }
  }

  #deliver(notes: Buffer[]): void {
    const results: unknown[] = [];
    for (const bytes of notes) {
      let note: unknown[];
      try {
        note = decodeNote(bytes);
      } catch {
        continue; // Not a note of ours: nothing to settle with it.
      }
      const seq = note[1] as number;
      switch (note[0]) {
        case Note.Started: {
          const task = this.outstanding.get(seq);
          // This side's clock: the worker's may differ from it.
          if (task) this.#host.taskStarted(this, task, Date.now());
          break;
        }
        case Note.Progress:
          if (this.#jobs.has(seq)) results.push(seq, Outcome.Progress, note[2]);
          break;
        case Note.InitFailed:
          this.#initWatch?.failed();
          break;
        case Note.Result: {
          // A second outcome of a job run twice (at least once) is dropped here.
          if (!this.#jobs.delete(seq)) break;
          const outcome = note[2] as Outcome;
          results.push(seq, outcome, decodeOutcome(outcome, note[3]));
          break;
        }
      }
    }
    this.#updateRef();
    if (results.length > 0) this.#host.threadResults(this, results);
  }

  abortTask(task: Task, reason: unknown): void {
    const seq = task.seq;
    const id = jobId(this.#client, seq);
    const queue = this.#queue;
    const commands = this.#commands;
    if (!queue || !commands) return;
    void (async () => {
      let removed = 0;
      try {
        removed = await queue.remove(id);
      } catch {}
      if (removed === 1) {
        // No worker had taken it: no outcome will come, its slot is free now.
        if (this.#jobs.delete(seq)) this.#host.threadResults(this, [seq, Outcome.Error, reason]);
        this.#updateRef();
        return;
      }
      try {
        const message = serialize([id, serializeError(reason)]).toString('base64');
        await commands.publish(abortChannel(this.#settings.queue), message);
      } catch {}
    })();
  }

  unstarted(): number {
    return 0;
  }

  /** A task sent is in the queue or on a worker: it counts as started (see the header). */
  hasStarted(task: Task): boolean {
    return task.thread === this;
  }

  running(): number {
    return this.outstanding.size;
  }

  syncRunning(): number {
    return 0;
  }

  lastTaskLong(): boolean {
    return false;
  }

  revokeUnstarted(): Task[] {
    return [];
  }

  /** The engine's idea of busy is its own; the connections are held while jobs are out. */
  override setBusy(_busy: boolean): void {}

  #updateRef(): void {
    const busy = this.#jobs.size > 0 || this.state === ThreadState.Stopping;
    if (this.#commands) refClient(this.#commands, busy);
    if (this.#reader) refClient(this.#reader, busy);
  }

  /**
   * Graceful (closed and drained): the connections close. Otherwise (terminate) the jobs still
   * waiting are removed from the queue and those running are told to abort; the client's keys go
   * at once (a worker skips the jobs of a client that is gone).
   */
  stop(graceful = false): Promise<void> {
    if (this.state === ThreadState.Stopping || this.#gone) return this.#exited;
    this.state = ThreadState.Stopping;
    void this.#shutdown(graceful);
    return this.#exited;
  }

  async #shutdown(graceful: boolean): Promise<void> {
    const queue = this.#queue;
    const commands = this.#commands;
    if (queue && commands && this.#connected) {
      const cleanUp = async (): Promise<void> => {
        const ids = [...this.#jobs.keys()].map((seq) => jobId(this.#client, seq));
        if (!graceful && ids.length > 0) {
          const removed = await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)));
          const reason = serializeError(new Error('The pool was terminated'));
          const channel = abortChannel(this.#settings.queue);
          for (let i = 0; i < ids.length; i++) {
            if (removed[i] === 1) continue;
            await commands.publish(channel, serialize([ids[i], reason]).toString('base64'));
          }
        }
        await commands.del(
          this.#alive,
          this.#results,
          initFailuresKey(this.#settings.queue, this.#client),
        );
      };
      try {
        await within(cleanUp(), STOP_WAIT_MS, () => new Error('Redis did not answer in time'));
      } catch {}
    }
    if (this.#gone) return;
    this.#close();
    this.#host.threadExited(this, 0, undefined);
    this.#exit();
  }

  #close(): void {
    this.#gone = true;
    this.#connected = false;
    this.#initWatch?.stop();
    this.#jobs.clear();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#downTimer) clearTimeout(this.#downTimer);
    this.#heartbeat = undefined;
    this.#downTimer = undefined;
    // BullMQ's Queue does not own a connection it was given: the clients close here.
    this.#queue?.close().catch(() => {});
    this.#reader?.disconnect();
    this.#commands?.disconnect();
  }
}
