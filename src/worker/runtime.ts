/**
 * The task loop of a worker thread. Tasks arrive in batches, wait in a local queue, and start
 * while the thread has a free task slot (its `quota`): synchronous tasks one after the other,
 * asynchronous ones side by side while they await. Before starting a task the thread claims it
 * (see protocol/claims.ts), so the main thread can take back tasks that have not started. Results
 * leave in batches too: at the end of each run of the loop, when many have piled up, or when the
 * first of them has waited about a millisecond behind long synchronous work.
 */
import type { MessagePort } from 'node:worker_threads';
import { CLAIMED, REVOKED_UP_TO } from '../protocol/claims.js';
import { serializeError } from '../protocol/errors.js';
import { type ExecutionSink, execute } from '../protocol/execution.js';
import {
  type Mode,
  Outcome,
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

export class ThreadRuntime implements ExecutionSink {
  readonly #port: MessagePort;
  readonly #cache: FunctionCache;
  readonly #control: Int32Array;
  readonly #quota: number;
  #ready = false;
  #running = 0;
  #lastClaimed = 0;
  #droppedUpTo = 0;
  #queue: (QueuedTask | undefined)[] = [];
  #head = 0;
  #pumping = false;
  #outSeqs: number[] = [];
  #outOutcomes: Outcome[] = [];
  #outValues: unknown[] = [];
  #outTransfer: ArrayBuffer[] = [];
  #oldestResultAt = 0;
  #flushQueued = false;

  constructor(port: MessagePort, boot: ThreadBootData) {
    this.#port = port;
    this.#cache = new FunctionCache(() => typeScriptLoaderReady(boot.typescriptLoader));
    this.#control = new Int32Array(boot.control);
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
    if (message.defs) for (const def of message.defs) this.#cache.define(def);
    const { firstSeq, count, fns, modes, sizes, data } = message;
    let position = 0;
    for (let i = 0; i < count; i++) {
      const size = typeof sizes === 'number' ? sizes : (sizes[i] as number);
      let payload: unknown;
      if (size < 0) payload = data[position++];
      else {
        payload = data.slice(position, position + size);
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
    if (this.#ready) this.#pump();
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#head < this.#queue.length && this.#running < this.#quota) {
        const task = this.#queue[this.#head] as QueuedTask;
        if (!this.#claim(task.seq)) {
          this.#dropRevoked();
          continue;
        }
        this.#queue[this.#head++] = undefined;
        this.#start(task);
        if (
          this.#outSeqs.length >= FLUSH_COUNT ||
          (this.#outSeqs.length > 0 && performance.now() - this.#oldestResultAt >= FLUSH_DELAY_MS)
        ) {
          this.#flush();
        }
      }
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
    } finally {
      this.#pumping = false;
    }
    this.#flush();
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
      execute(fn, task.mode, task.payload, task.seq, this);
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
    if (this.#outSeqs.length === 0) this.#oldestResultAt = performance.now();
    this.#outSeqs.push(seq);
    this.#outOutcomes.push(outcome);
    this.#outValues.push(value);
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
    if (this.#outSeqs.length === 0) return;
    const seqs = this.#outSeqs;
    const outcomes = this.#outOutcomes;
    const values = this.#outValues;
    this.#outSeqs = [];
    this.#outOutcomes = [];
    this.#outValues = [];
    const transfer = this.#outTransfer;
    this.#outTransfer = [];
    try {
      this.#port.postMessage({ t: 'results', seqs, outcomes, values }, transfer);
    } catch {
      // Some result cannot be cloned: send them one by one so only that task fails.
      for (let i = 0; i < seqs.length; i++)
        this.#sendOne(seqs[i] as number, outcomes[i] as Outcome, values[i]);
    }
  }

  #sendOne(seq: number, outcome: Outcome, value: unknown): void {
    try {
      this.#port.postMessage({ t: 'results', seqs: [seq], outcomes: [outcome], values: [value] });
    } catch (cloneError) {
      const error = new DOMException(
        `The task's result could not be cloned to the main thread: ${(cloneError as Error).message} ` +
          'Return structured-cloneable data (no functions, symbols or class instances with private state).',
        'DataCloneError',
      );
      this.#port.postMessage({
        t: 'results',
        seqs: [seq],
        outcomes: [Outcome.Error],
        values: [serializeError(error)],
      });
    }
  }
}
