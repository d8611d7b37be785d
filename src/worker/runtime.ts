/**
 * The task loop of a worker thread. Tasks arrive in batches, wait in a local queue, and start
 * while the thread has a free task slot (its `quota`): synchronous tasks one after the other,
 * asynchronous ones side by side while they await. Before starting a task the thread claims it
 * (see protocol/claims.ts), so the main thread can take back tasks that have not started. Results
 * leave in batches too: at the end of each run of the loop, when many have piled up, or when the
 * first of them has waited about a millisecond behind long synchronous work.
 */
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { countAsleep, countAwake, othersAwake } from '../protocol/activity.js';
import {
  BACKLOG,
  CLAIMED,
  LAST_TASK_LONG,
  POSTED,
  REVOKED_UP_TO,
  RUNNING,
} from '../protocol/claims.js';
import { serializeError } from '../protocol/errors.js';
import { type ExecutionSink, execute } from '../protocol/execution.js';
import {
  type Mode,
  Outcome,
  type ResultsMessage,
  RUN_DATA,
  type RunMessage,
  type ThreadBootData,
  type ToWorker,
} from '../protocol/messages.js';
import { packNumbers } from '../protocol/packing.js';
import { type AnyFunction, FunctionCache } from './function-cache.js';
import { typeScriptLoaderReady } from './loaders.js';

interface QueuedTask {
  seq: number;
  fn: number;
  mode: Mode;
  payload: unknown;
}

const FLUSH_COUNT = 128;
const FLUSH_DELAY_MS = 1;
/**
 * How long a thread that ran out of work watches for the next message before it sleeps in its
 * event loop. On a virtual machine, waking a sleeping thread takes about 100 µs, ten times the
 * round trip itself; a caller awaiting one task at a time sends the next well within this. Only
 * while a core is left to the main thread (see protocol/activity.ts).
 */
const IDLE_SPIN_NS = 200_000n;
/**
 * The first watch, just after the thread says it is ready, is longer: threads start because
 * tasks wait for them, so the first batch is on its way, and the main thread's first dispatch
 * runs cold (~1 ms). Sleeping instead would add the first wake-up (~1–2 ms) to every start.
 */
const FIRST_SPIN_NS = 3_000_000n;

export class ThreadRuntime implements ExecutionSink {
  readonly #port: MessagePort;
  readonly #cache: FunctionCache;
  readonly #control: Int32Array;
  readonly #activity: Int32Array;
  /** Threads that may be awake at once and still leave a core to the main thread. */
  readonly #spinnersAllowed: number;
  readonly #quota: number;
  #ready = false;
  #running = 0;
  #lastClaimed = 0;
  #droppedUpTo = 0;
  #queue: (QueuedTask | undefined)[] = [];
  #head = 0;
  #pumping = false;
  /** Results to send: (seq, outcome, value) triples. */
  #out: unknown[] = [];
  #outTransfer: ArrayBuffer[] = [];
  #oldestResultAt = 0;
  /** When #startWhatFits last read the clock: about when the task that just ran started. */
  #lastLookAt = 0;
  #lastTaskLong = false;
  #flushQueued = false;
  /** Messages taken from the port, to compare with the main thread's POSTED count. */
  #received = 0;
  #spinNs = FIRST_SPIN_NS;

  constructor(port: MessagePort, boot: ThreadBootData) {
    this.#port = port;
    this.#cache = new FunctionCache(() => typeScriptLoaderReady(boot.typescriptLoader));
    this.#control = new Int32Array(boot.control);
    this.#activity = new Int32Array(boot.activity);
    this.#spinnersAllowed = boot.cores - 1;
    this.#quota = boot.quota;
    port.on('message', (message: ToWorker) => this.#receive(message));
    // The thread is going down (a task called process.exit(), or an error escaped): send the
    // results already computed, so that only the task that was running fails.
    process.on('exit', () => this.#flush());
  }

  async start(boot: ThreadBootData): Promise<void> {
    if (boot.initializer) {
      try {
        this.#cache.define(boot.initializer);
        const init = await this.#cache.load(boot.initializer.id);
        await init(...boot.initargs);
      } catch (thrown) {
        this.#port.postMessage({ t: 'init-failed', error: serializeError(thrown) });
        return;
      }
    }
    this.#ready = true;
    this.#port.postMessage({ t: 'ready' });
    this.#pump();
  }

  #receive(message: RunMessage): void {
    this.#enqueue(message);
    if (this.#ready) this.#pump();
  }

  #enqueue(message: RunMessage): void {
    this.#received = (this.#received + 1) | 0;
    const [firstSeq, count, fns, modes, sizes, defs] = message;
    if (defs) for (const def of defs) this.#cache.define(def);
    let position = RUN_DATA;
    for (let i = 0; i < count; i++) {
      const size = typeof sizes === 'number' ? sizes : (sizes[i] as number);
      let payload: unknown;
      if (size < 0) payload = message[position++];
      else {
        payload = message.slice(position, position + size);
        position += size;
      }
      const seq = firstSeq + i;
      // Taken back by the main thread before it got here.
      if (seq <= this.#droppedUpTo) continue;
      this.#queue.push({
        seq,
        fn: typeof fns === 'number' ? fns : (fns[i] as number),
        mode: typeof modes === 'number' ? modes : (modes[i] as Mode),
        payload,
      });
    }
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    this.#lastLookAt = Date.now();
    countAwake(this.#activity, this.#control);
    try {
      do {
        this.#startWhatFits();
        this.#flush();
      } while (this.#running === 0 && this.#nextMessageSoon());
    } finally {
      this.#pumping = false;
      countAsleep(this.#activity, this.#control);
    }
  }

  #startWhatFits(): void {
    while (this.#head < this.#queue.length && this.#running < this.#quota) {
      const task = this.#queue[this.#head] as QueuedTask;
      if (!this.#claim(task.seq)) {
        this.#dropRevoked();
        continue;
      }
      this.#queue[this.#head++] = undefined;
      this.#start(task);
      if (this.#out.length > 0) {
        // Send what is done when many have piled up, when the oldest has waited a while, or when
        // the task that just ran took a while (a result must not wait behind the next one, which
        // may be as long).
        const now = Date.now();
        // Date.now() counts whole milliseconds: 2 apart is at least one full millisecond.
        const long = now - this.#lastLookAt >= 2;
        if (long !== this.#lastTaskLong) {
          this.#lastTaskLong = long;
          Atomics.store(this.#control, LAST_TASK_LONG, long ? 1 : 0);
        }
        if (
          long ||
          this.#out.length >= FLUSH_COUNT * 3 ||
          now - this.#oldestResultAt >= FLUSH_DELAY_MS
        ) {
          this.#flush();
        }
        this.#lastLookAt = now;
      }
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * Idle (nothing queued, nothing running, results sent): watch for the next message for up to
   * IDLE_SPIN_NS (FIRST_SPIN_NS the first time) and take it straight from the port. Never while
   * a task is in flight, since the watch holds up this thread's event loop. Returns whether a
   * message came.
   */
  #nextMessageSoon(): boolean {
    if (this.#head < this.#queue.length) return false;
    // The main thread is busy feeding the threads (see BACKLOG), or, counting this thread, more
    // awake threads than that would take a core from it: sleep.
    if (Atomics.load(this.#control, BACKLOG) !== 0) return false;
    if (othersAwake(this.#activity) >= this.#spinnersAllowed) return false;
    // process.hrtime rather than performance.now(): loading perf_hooks would add ~1 ms to every
    // thread's start. The clock is read every 32 polls.
    const deadline = process.hrtime.bigint() + this.#spinNs;
    this.#spinNs = IDLE_SPIN_NS;
    for (let polls = 1; ; polls++) {
      // The count goes up just after each post, so it can lag behind what the port has already
      // delivered (then the difference is negative): only a positive one means a message waits.
      if (((Atomics.load(this.#control, POSTED) - this.#received) | 0) > 0) {
        const entry = receiveMessageOnPort(this.#port);
        if (entry !== undefined) {
          this.#enqueue(entry.message as RunMessage);
          return true;
        }
      }
      if ((polls & 31) === 0 && process.hrtime.bigint() >= deadline) return false;
    }
  }

  #claim(seq: number): boolean {
    const seen = Atomics.compareExchange(this.#control, CLAIMED, this.#lastClaimed, seq);
    if (seen !== this.#lastClaimed) return false;
    this.#lastClaimed = seq;
    return true;
  }

  /** The main thread took back every task up to REVOKED_UP_TO that had not started. */
  #dropRevoked(): void {
    // Taking the value (not just reading it) tells the main thread it can no longer extend it.
    const upTo = Atomics.exchange(this.#control, REVOKED_UP_TO, 0);
    if (upTo > this.#droppedUpTo) this.#droppedUpTo = upTo;
    while (this.#head < this.#queue.length && (this.#queue[this.#head] as QueuedTask).seq <= upTo) {
      this.#queue[this.#head++] = undefined;
    }
    const kept = this.#queue.slice(this.#head).filter((t) => (t as QueuedTask).seq > upTo);
    this.#queue = kept;
    this.#head = 0;
    Atomics.store(this.#control, CLAIMED, this.#lastClaimed);
  }

  #start(task: QueuedTask): void {
    this.#running++;
    let fn: AnyFunction | undefined;
    try {
      fn = this.#cache.get(task.fn);
    } catch (thrown) {
      this.complete(task.seq, Outcome.Error, serializeError(thrown));
      return;
    }
    if (fn) {
      // Seen by the main thread while this task's synchronous code runs (see RUNNING).
      Atomics.store(this.#control, RUNNING, task.seq);
      execute(fn, task.mode, task.payload, task.seq, this);
      Atomics.store(this.#control, RUNNING, 0);
      return;
    }
    this.#cache.load(task.fn).then(
      (loaded) => execute(loaded, task.mode, task.payload, task.seq, this),
      (thrown) => this.complete(task.seq, Outcome.Error, serializeError(thrown)),
    );
  }

  complete(seq: number, outcome: Outcome, value: unknown, chunk?: boolean): void {
    this.#running--;
    if (chunk) {
      const packed = packNumbers(value as unknown[]);
      if (packed) {
        outcome = Outcome.OkPacked;
        value = packed;
        this.#outTransfer.push(packed.buffer);
      }
    }
    if (this.#out.length === 0) this.#oldestResultAt = Date.now();
    this.#out.push(seq, outcome, value);
    if (!this.#pumping && !this.#flushQueued) {
      // An asynchronous task finished. Wait for the end of this turn of the event loop (many
      // sockets or timers finish in one turn) and send the results together, then start what
      // waited for the freed slots.
      this.#flushQueued = true;
      setImmediate(() => {
        this.#flushQueued = false;
        this.#pump();
      });
    }
  }

  wrapError(thrown: unknown): unknown {
    return serializeError(thrown);
  }

  #flush(): void {
    if (this.#out.length === 0) return;
    const results = this.#out;
    this.#out = [];
    const transfer = this.#outTransfer;
    this.#outTransfer = [];
    try {
      this.#port.postMessage(results, transfer);
    } catch {
      // Some result cannot be cloned: send them one by one so only that task fails.
      for (let i = 0; i < results.length; i += 3)
        this.#sendOne(results[i] as number, results[i + 1] as Outcome, results[i + 2]);
    }
  }

  #sendOne(seq: number, outcome: Outcome, value: unknown): void {
    try {
      this.#port.postMessage([seq, outcome, value] satisfies ResultsMessage);
    } catch (cloneError) {
      const error = new DOMException(
        `The task's result could not be cloned to the main thread: ${(cloneError as Error).message} ` +
          'Return structured-cloneable data (no functions, symbols or class instances with private state).',
        'DataCloneError',
      );
      this.#port.postMessage([seq, Outcome.Error, serializeError(error)] satisfies ResultsMessage);
    }
  }
}
