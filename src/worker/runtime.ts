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
  DELIVERED,
  LAST_TASK_LONG,
  POSTED,
  REVOKED_UP_TO,
  RUNNING,
  TAKEN,
  takenWord,
} from '../protocol/claims.js';
import { type SerializedError, serializeError, type WireError } from '../protocol/errors.js';
import {
  type FromWorker,
  type LostMessage,
  type Mode,
  Outcome,
  type ResultsMessage,
  RUN_DATA,
  type RunMessage,
  type ThreadBootData,
  type ToWorker,
} from '../protocol/messages.js';
import { packNumbers } from '../protocol/packing.js';
import { type ExecutionSink, execute } from '../run/execution.js';
import { type AnyFunction, FunctionCache } from './function-cache.js';
import { typeScriptLoaderReady } from './loaders.js';

// What the runtime uses, captured once at load, before any task code runs: tasks share the
// thread's globals (fake-timer libraries replace setImmediate, Date.now…), and the task loop must
// go on working whatever they do to them.
const schedule = setImmediate;
const nextTick = process.nextTick;
const now = Date.now;
const hrtime = process.hrtime.bigint;
const receive = receiveMessageOnPort;
const isArray = Array.isArray;
const bufferFrom = Buffer.from.bind(Buffer);
const { load, compareExchange, exchange, store } = Atomics;
const exitThread = process.exit.bind(process);

type PostMessage = (message: unknown, transfer?: readonly ArrayBuffer[]) => void;

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
  /** Messages of the main thread this thread could not read, not yet answered for. */
  #unanswered: number[] = [];
  /** Messages posted to the main thread, and those it may still report lost: (n, message) pairs. */
  #posted = 0;
  #unconfirmed: [number, FromWorker][] = [];
  readonly #postMessage: PostMessage;
  #spinNs = FIRST_SPIN_NS;

  constructor(port: MessagePort, boot: ThreadBootData) {
    this.#port = port;
    this.#postMessage = port.postMessage.bind(port) as PostMessage;
    this.#cache = new FunctionCache(() => typeScriptLoaderReady(boot.typescriptLoader));
    this.#control = new Int32Array(boot.control);
    this.#activity = new Int32Array(boot.activity);
    this.#spinnersAllowed = boot.cores - 1;
    this.#quota = boot.quota;
    port.on('message', (message: ToWorker) => this.#receive(message));
    port.on('messageerror', (error: Error) => this.#lost(error));
    // The thread is going down (a task called process.exit(), or an error escaped): send the
    // results already computed, so that only the task that was running fails.
    process.on('exit', () => this.#flush());
    this.#captureOutput(process.stdout, Outcome.Stdout);
    this.#captureOutput(process.stderr, Outcome.Stderr);
  }

  /**
   * What tasks write to stdout and stderr (and so `console.*`) travels on the pool's channel, in
   * the same ordered stream as the results: the main thread writes it out before it delivers any
   * result that follows. (Node's own forwarding of a thread's stdio takes another route, which
   * can deliver it after the result, or lose it when the thread is stopped.)
   */
  #captureOutput(stream: NodeJS.WriteStream, kind: Outcome): void {
    const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const done = typeof encoding === 'function' ? encoding : callback;
      let data: string | Uint8Array;
      if (typeof chunk === 'string') {
        data =
          typeof encoding === 'string' && !/^utf-?8$/i.test(encoding)
            ? bufferFrom(chunk, encoding as BufferEncoding)
            : chunk;
      } else if (chunk instanceof Uint8Array) {
        data = chunk;
      } else {
        const error = new TypeError(
          `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${chunk === null ? 'null' : typeof chunk}`,
        );
        (error as { code?: string }).code = 'ERR_INVALID_ARG_TYPE';
        throw error;
      }
      if (data.length > 0) {
        if (this.#out.length === 0) this.#oldestResultAt = now();
        this.#out.push(0, kind, data);
        // At once, even in the middle of a long synchronous task: the line is seen when written.
        this.#flush();
      }
      if (typeof done === 'function') nextTick(done as () => void);
      return true;
    };
    stream.write = write as typeof stream.write;
  }

  /** Every message to the main thread goes here: counted, and kept until it is known to be read. */
  #post(message: FromWorker, transfer?: readonly ArrayBuffer[]): void {
    this.#postMessage(message, transfer);
    this.#posted = (this.#posted + 1) | 0;
    this.#confirm();
    if (isArray(message) || message.t === 'init-failed') {
      this.#unconfirmed.push([this.#posted, message]);
    }
  }

  /** Forgets the messages the main thread has read (it counts them in DELIVERED). */
  #confirm(): void {
    if (this.#unconfirmed.length === 0) return;
    const delivered = load(this.#control, DELIVERED);
    let drop = 0;
    while (
      drop < this.#unconfirmed.length &&
      (((this.#unconfirmed[drop] as [number, FromWorker])[0] - delivered) | 0) <= 0
    ) {
      drop++;
    }
    if (drop > 0) this.#unconfirmed.splice(0, drop);
  }

  /** A message from the main thread could not be deserialized here: tell it which one. */
  #lost(error: unknown): void {
    this.#received = (this.#received + 1) | 0;
    this.#unanswered.push(this.#received);
    store(this.#control, TAKEN, takenWord(this.#received, this.#unanswered));
    const reason = error instanceof Error ? error.message : String(error);
    this.#post({ t: 'lost', n: this.#received, reason });
  }

  /**
   * The main thread could not deserialize message `n`. Its results go again one by one, so that
   * only the one that cannot cross fails; a single result that cannot cross becomes an error
   * that can.
   */
  #resend(lost: LostMessage): void {
    this.#answer(lost);
    this.#post({ t: 'resent', n: lost.n });
  }

  #answer(lost: LostMessage): void {
    const index = this.#unconfirmed.findIndex((entry) => entry[0] === lost.n);
    if (index < 0) return;
    const message = (this.#unconfirmed[index] as [number, FromWorker])[1];
    this.#unconfirmed.splice(index, 1);
    if (!isArray(message)) {
      if (message.t === 'init-failed') {
        this.#post({ t: 'init-failed', error: unreadable('the initializer threw an error', lost) });
      }
      return;
    }
    let results = 0;
    for (let i = 1; i < message.length; i += 3) {
      const outcome = message[i] as Outcome;
      if (outcome !== Outcome.Stdout && outcome !== Outcome.Stderr) results++;
    }
    for (let i = 0; i < message.length; i += 3) {
      const seq = message[i] as number;
      const outcome = message[i + 1] as Outcome;
      const value = message[i + 2];
      if (outcome === Outcome.Stdout || outcome === Outcome.Stderr) {
        this.#post([seq, outcome, value]);
      } else if (results > 1 && outcome !== Outcome.OkPacked) {
        this.#sendOne(seq, outcome, value);
      } else if (outcome === Outcome.Error && (value as WireError).$error) {
        // The error itself can cross without what made it unreadable (its own properties).
        const error = value as SerializedError;
        this.#post([
          seq,
          Outcome.Error,
          {
            ...error,
            props: {
              unreadable: `its properties could not be read by the main thread (${lost.reason})`,
            },
            cause: undefined,
            errors: undefined,
          } satisfies SerializedError,
        ]);
      } else {
        // The one result that cannot cross (or packed numbers whose buffer went with the lost
        // message).
        const what =
          outcome === Outcome.Ok || outcome === Outcome.OkPacked
            ? "the task's result"
            : "the task's error";
        this.#post([seq, Outcome.Error, unreadable(what, lost)]);
      }
    }
  }

  async start(boot: ThreadBootData): Promise<void> {
    if (boot.initializer) {
      try {
        this.#cache.define(boot.initializer);
        const init = await this.#cache.load(boot.initializer.id);
        await init(...boot.initargs);
      } catch (thrown) {
        this.#post({ t: 'init-failed', error: serializeError(thrown) });
        return;
      }
    }
    this.#ready = true;
    this.#post({ t: 'ready' });
    this.#pump();
  }

  #receive(message: ToWorker): void {
    if (!this.#enqueue(message)) return;
    if (this.#ready) this.#pump();
  }

  /** Takes a message in; returns whether it brought tasks. */
  #enqueue(message: ToWorker): boolean {
    this.#received = (this.#received + 1) | 0;
    store(this.#control, TAKEN, takenWord(this.#received, this.#unanswered));
    if (!isArray(message)) {
      this.#handle(message);
      return false;
    }
    const [firstSeq, count, fns, modes, sizes] = message;
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
    return true;
  }

  #handle(message: Exclude<ToWorker, RunMessage>): void {
    switch (message.t) {
      case 'define':
        if (message.forget) this.#cache.forget(message.forget);
        for (const def of message.defs) this.#cache.define(def);
        break;
      case 'lost':
        this.#resend(message);
        break;
      case 'resent': {
        const index = this.#unanswered.indexOf(message.n);
        if (index >= 0) this.#unanswered.splice(index, 1);
        store(this.#control, TAKEN, takenWord(this.#received, this.#unanswered));
        break;
      }
      case 'stop':
        // Everything written has gone with the results; end the thread here, whatever timers
        // or sockets tasks left behind.
        this.#flush();
        exitThread(0);
    }
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    this.#lastLookAt = now();
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
        const at = now();
        // Date.now() counts whole milliseconds: 2 apart is at least one full millisecond.
        const long = at - this.#lastLookAt >= 2;
        if (long !== this.#lastTaskLong) {
          this.#lastTaskLong = long;
          store(this.#control, LAST_TASK_LONG, long ? 1 : 0);
        }
        if (
          long ||
          this.#out.length >= FLUSH_COUNT * 3 ||
          at - this.#oldestResultAt >= FLUSH_DELAY_MS
        ) {
          this.#flush();
        }
        this.#lastLookAt = at;
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
    if (load(this.#control, BACKLOG) !== 0) return false;
    if (othersAwake(this.#activity) >= this.#spinnersAllowed) return false;
    // process.hrtime rather than performance.now(): loading perf_hooks would add ~1 ms to every
    // thread's start. The clock is read every 32 polls.
    const deadline = hrtime() + this.#spinNs;
    this.#spinNs = IDLE_SPIN_NS;
    for (let polls = 1; ; polls++) {
      // The count goes up just after each post, so it can lag behind what the port has already
      // delivered (then the difference is negative): only a positive one means a message waits.
      if (((load(this.#control, POSTED) - this.#received) | 0) > 0) {
        let entry: { message: unknown } | undefined;
        try {
          entry = receive(this.#port);
        } catch (error) {
          // The message could not be deserialized (it is consumed all the same).
          this.#lost(error);
          continue;
        }
        if (entry !== undefined) {
          if (this.#enqueue(entry.message as ToWorker)) return true;
          continue;
        }
      }
      if ((polls & 31) === 0 && hrtime() >= deadline) return false;
    }
  }

  #claim(seq: number): boolean {
    const seen = compareExchange(this.#control, CLAIMED, this.#lastClaimed, seq);
    if (seen !== this.#lastClaimed) return false;
    this.#lastClaimed = seq;
    return true;
  }

  /** The main thread took back every task up to REVOKED_UP_TO that had not started. */
  #dropRevoked(): void {
    // Taking the value (not just reading it) tells the main thread it can no longer extend it.
    const upTo = exchange(this.#control, REVOKED_UP_TO, 0);
    if (upTo > this.#droppedUpTo) this.#droppedUpTo = upTo;
    while (this.#head < this.#queue.length && (this.#queue[this.#head] as QueuedTask).seq <= upTo) {
      this.#queue[this.#head++] = undefined;
    }
    const kept = this.#queue.slice(this.#head).filter((t) => (t as QueuedTask).seq > upTo);
    this.#queue = kept;
    this.#head = 0;
    store(this.#control, CLAIMED, this.#lastClaimed);
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
      store(this.#control, RUNNING, task.seq);
      execute(fn, task.mode, task.payload, task.seq, this);
      store(this.#control, RUNNING, 0);
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
    if (this.#out.length === 0) this.#oldestResultAt = now();
    this.#out.push(seq, outcome, value);
    if (!this.#pumping && !this.#flushQueued) {
      // An asynchronous task finished. Wait for the end of this turn of the event loop (many
      // sockets or timers finish in one turn) and send the results together, then start what
      // waited for the freed slots.
      this.#flushQueued = true;
      schedule(() => {
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
      this.#post(results, transfer);
    } catch {
      // Some result cannot be cloned: send them one by one so only that task fails.
      for (let i = 0; i < results.length; i += 3)
        this.#sendOne(results[i] as number, results[i + 1] as Outcome, results[i + 2]);
    }
  }

  #sendOne(seq: number, outcome: Outcome, value: unknown): void {
    if (outcome === Outcome.Stdout || outcome === Outcome.Stderr) {
      this.#post([seq, outcome, value]);
      return;
    }
    try {
      this.#post([seq, outcome, value] satisfies ResultsMessage);
    } catch (cloneError) {
      const error = new DOMException(
        `The task's result could not be cloned to the main thread: ${(cloneError as Error).message} ` +
          'Return structured-cloneable data (no functions, symbols or class instances with private state).',
        'DataCloneError',
      );
      this.#post([seq, Outcome.Error, serializeError(error)] satisfies ResultsMessage);
    }
  }
}

/** An error that always crosses: what could not be read by the main thread, and why. */
function unreadable(what: string, lost: LostMessage): WireError {
  return {
    $error: true,
    ctor: 'Error',
    name: 'DataCloneError',
    message:
      `${what[0]?.toUpperCase()}${what.slice(1)} could be sent but not read by the main thread (${lost.reason}): ` +
      'it is too deep or too large for the main thread to deserialize. Return flatter data.',
    stack: undefined,
    props: null,
  };
}
