/**
 * The task loop of a worker thread. Tasks arrive in batches, wait in a local queue, and start
 * while the thread has a free task slot (its `quota`): synchronous tasks one after the other,
 * asynchronous ones side by side while they await. Before starting a task the thread claims it
 * (see protocol/claims.ts), so the main thread can take back tasks that have not started. Results
 * leave in batches too: at the end of each run of the loop, when many have piled up, or when the
 * first of them has waited about a millisecond behind long synchronous work.
 */
import { Fifo } from '../engine/fifo.js';
import { dropRevoked, ThreadClaims } from '../protocol/claims.js';
import {
  type ControlToWorker,
  initFailedMessage,
  isBatch,
  type LostMessage,
  lostMessage,
  READY,
  resentMessage,
  startedMessage,
} from '../protocol/control.js';
import { DELIVERED, MAIN_QUEUED, TAKEN } from '../protocol/control-words.js';
import { Inbox, Outbox } from '../protocol/delivery.js';
import { deserializeError, serializeError } from '../protocol/errors.js';
import { HeldResultsWriter } from '../protocol/held-results.js';
import {
  type FromWorker,
  Outcome,
  TaskFlags,
  type ThreadBootData,
  type ToWorker,
} from '../protocol/messages.js';
import { type ChannelPort, PortReader } from '../protocol/port-reader.js';
import {
  appendOutput,
  appendProgress,
  appendResult,
  appendStarts,
  type ResultsMessage,
  resultsAfterLoss,
  splitResults,
  uncloneableResult,
  unreadableByMain,
} from '../protocol/results.js';
import { decodeRunBatch, type ReceivedTask, type RunMessage } from '../protocol/run-batch.js';
import { StartTimesWriter } from '../protocol/start-times.js';
import type { ChunkHelpers, ChunkRun } from '../run/chunk-run.js';
import { type ExecutionSink, execute } from '../run/execution.js';
import {
  executeInContext,
  type TaskContext,
  type TaskContextSlot,
  taskContextSlot,
  UNCONTROLLED,
} from '../run/task-context.js';
import { ControlledTasks } from './controlled-tasks.js';
import { type AnyFunction, FunctionCache } from './function-cache.js';
import { typeScriptLoaderReady } from './loaders.js';
import { nodeV8 } from './node-v8.js';
import { captureOutput } from './output.js';

// What the runtime uses, captured once at load, before any task code runs: tasks share the
// thread's globals (fake-timer libraries replace setImmediate, Date.now…), and the task loop must
// go on working whatever they do to them.
const schedule = setImmediate;
const now = Date.now;
const hrtime = process.hrtime.bigint;
/**
 * Milliseconds on the monotonic clock every thread of the process shares: when a task starts, for
 * the pool's timings (see engine/stats.ts). process.hrtime rather than performance.now(): loading
 * perf_hooks would add ~1 ms to every thread's start.
 */
const clock = (): number => Number(hrtime()) / 1e6;
const exitThread = process.exit.bind(process);
const loadWord = Atomics.load;

type PostMessage = (message: unknown, transfer?: readonly ArrayBuffer[]) => void;

const FLUSH_COUNT = 128;
const FLUSH_DELAY_MS = 1;
export class ThreadRuntime implements ExecutionSink {
  /** Takes a waiting message at once, in the middle of a task (see #takeMessagesNow). */
  readonly #reader: PortReader;
  readonly #cache: FunctionCache;
  readonly #control: Int32Array;
  readonly #quota: number;
  readonly #claims: ThreadClaims;
  /** Report when each task starts (the pool's `timings` option). */
  readonly #timings: boolean;
  #ready = false;
  #running = 0;
  readonly #queue = new Fifo<ReceivedTask>();
  #pumping = false;
  /** Results to send (see protocol/results.ts). */
  #out: ResultsMessage = [];
  #outTransfer: ArrayBuffer[] = [];
  /** Where held results are copied for the main thread (see protocol/held-results.ts), if shared. */
  readonly #held: HeldResultsWriter | undefined;
  /** How many entries of #out are copied there. */
  #heldUpTo = 0;
  /** Where the start of each running timed task is written for the main thread, if shared. */
  readonly #startTimes: StartTimesWriter | undefined;
  /** (seq, start time) of the tasks started since the last batch, with the `timings` option. */
  #starts: number[] = [];
  #oldestResultAt = 0;
  /** When #startWhatFits last read the clock: about when the task that just ran started. */
  #lastLookAt = 0;
  #lastTaskLong = false;
  #flushQueued = false;
  /** Messages taken from the port (counted as the main thread counts its posts). */
  readonly #inbox: Inbox;
  /** Messages posted to the main thread, and those it may still report lost. */
  #posted = 0;
  /**
   * What was posted and may have to be answered for; none on a channel whose receiver never
   * reports a loss (a child process's: kept there, every result batch would stay for good).
   */
  readonly #outbox: Outbox<FromWorker> | undefined;
  /** What this runtime runs in, for its errors: a channel that reports no loss is a process's. */
  readonly #carrier: 'thread' | 'process';
  readonly #postMessage: PostMessage;
  /** Where `spindle/task` finds the running task (see run/task-context.ts). */
  readonly #slot: TaskContextSlot = taskContextSlot();
  /** Started tasks waiting for their function's module to load (see #start). */
  readonly #loadingFor = new Set<number>();
  /** The running tasks issued with a signal, a timeout or onProgress. */
  readonly #controlled: ControlledTasks;
  /** When progress values were last sent in the middle of a synchronous task. */
  #progressSentAt = 0;
  /** Running chunks whose unstarted items free slots may take (see run/chunk-run.ts). */
  #helpable: ChunkRun[] = [];
  readonly #helpers: ChunkHelpers = {
    offer: (run) => {
      // While the pool's queue holds tasks nothing is helped, and chunks keep being offered: drop
      // those with nothing left to take, so that the list (and the results those chunks hold)
      // stays within about the chunks running here.
      if (this.#helpable.length >= this.#quota) {
        this.#helpable = this.#helpable.filter((offered) => offered.hasUnstarted);
      }
      this.#helpable.push(run);
      // Offered from a task's continuation: free slots take its items on the next turn.
      this.#flushSoon();
    },
    // A task waiting here, or soon sent here, needs the slot more: the chunk's own runner goes on.
    mayGoOn: () => this.#queue.length === 0 && !this.#poolQueued(),
    done: () => {
      this.#running--;
      this.#flushSoon();
    },
  };

  constructor(port: ChannelPort, boot: ThreadBootData) {
    this.#reader = new PortReader(port);
    this.#postMessage = port.postMessage.bind(port) as PostMessage;
    this.#cache = new FunctionCache(() => typeScriptLoaderReady(boot.typescriptLoader));
    this.#control = new Int32Array(boot.control);
    this.#claims = new ThreadClaims(this.#control);
    this.#controlled = new ControlledTasks(
      {
        words: this.#control,
        takeMessagesNow: (signal) => this.#takeMessagesNow(signal),
        sendProgress: (seq, bytes) => this.#sendProgress(seq, bytes),
      },
      this.#slot,
    );
    this.#inbox = new Inbox(this.#control, TAKEN);
    this.#carrier = port.reportsLoss === false ? 'process' : 'thread';
    this.#outbox = this.#carrier === 'process' ? undefined : new Outbox(this.#control, DELIVERED);
    this.#quota = boot.quota;
    this.#timings = boot.timings;
    this.#held = boot.heldResults ? new HeldResultsWriter(boot.heldResults) : undefined;
    this.#startTimes = boot.startTimes ? new StartTimesWriter(boot.startTimes) : undefined;
    port.on('message', (message: ToWorker) => this.#receive(message));
    port.on('messageerror', (error: Error) => this.#lost(error));
    // The thread is going down (a task called process.exit(), or an error escaped): send the
    // results already computed, so that only the task that was running fails.
    process.on('exit', () => this.#flush(true));
    captureOutput(process.stdout, (data) => this.#written(Outcome.Stdout, data));
    captureOutput(process.stderr, (data) => this.#written(Outcome.Stderr, data));
  }

  #written(kind: typeof Outcome.Stdout | typeof Outcome.Stderr, data: string | Uint8Array): void {
    if (this.#out.length === 0) this.#oldestResultAt = now();
    appendOutput(this.#out, kind, data);
    // At once, even in the middle of a long synchronous task: the line is seen when written.
    this.#flush();
  }

  /** Every message to the main thread goes here: counted, and kept until it is known to be read. */
  #post(message: FromWorker, transfer?: readonly ArrayBuffer[]): void {
    this.#postMessage(message, transfer);
    this.#posted = (this.#posted + 1) | 0;
    const outbox = this.#outbox;
    if (!outbox) return;
    if (isBatch(message) || message.t === 'init-failed') outbox.keep(this.#posted, message);
    else outbox.prune();
  }

  /** A message from the main thread could not be deserialized here: tell it which one. */
  #lost(error: unknown): void {
    const n = this.#inbox.lost();
    this.#post(lostMessage(n, error instanceof Error ? error.message : String(error)));
  }

  /**
   * The main thread could not deserialize message `n`: send again what it carried, in a form that
   * crosses (see resultsAfterLoss), then say so.
   */
  #resend(lost: LostMessage): void {
    const message = this.#outbox?.take(lost.n);
    if (message !== undefined) {
      if (isBatch(message)) {
        for (const one of resultsAfterLoss(message, lost.reason)) this.#sendOne(one);
      } else if (message.t === 'init-failed') {
        const what = 'the initializer threw an error';
        this.#post(initFailedMessage(unreadableByMain(what, lost.reason)));
      }
    }
    this.#post(resentMessage(lost.n));
  }

  async start(boot: ThreadBootData): Promise<void> {
    if (boot.initializer) {
      try {
        this.#cache.define(boot.initializer);
        const init = await this.#cache.load(boot.initializer.id);
        await init(...boot.initargs);
      } catch (thrown) {
        this.#post(initFailedMessage(serializeError(thrown)));
        return;
      }
    }
    this.#ready = true;
    this.#post(READY);
    // Tasks sent while the thread started wait on the port; as events they would come only once
    // the thread's event loop runs, a millisecond or more from now: take them at once.
    while (this.#takeWaiting());
    this.#pump();
  }

  #receive(message: ToWorker): void {
    if (!this.#enqueue(message)) return;
    if (this.#ready) this.#pump();
  }

  /** Takes a message in; returns whether it brought tasks. */
  #enqueue(message: ToWorker): boolean {
    this.#inbox.took();
    if (!isBatch(message)) {
      this.#handle(message);
      return false;
    }
    decodeRunBatch(message as RunMessage, this.#claims.droppedUpTo, this.#queue);
    return true;
  }

  #handle(message: ControlToWorker): void {
    switch (message.t) {
      case 'define':
        if (message.forget) this.#cache.forget(message.forget);
        for (const def of message.defs) this.#cache.define(def);
        break;
      case 'lost':
        this.#resend(message);
        break;
      case 'resent':
        this.#inbox.answered(message.n);
        break;
      case 'abort': {
        const reason = deserializeError(message.reason);
        if (this.#loadingFor.delete(message.seq)) {
          // None of its code has run: it ends here, and its slot is free at once.
          this.complete(message.seq, Outcome.Error, serializeError(reason));
          break;
        }
        // Listeners the task added run here; one that throws is the thread's uncaught error.
        this.#controlled.abort(message.seq, reason);
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
    try {
      this.#startWhatFits();
      this.#flush();
    } finally {
      this.#pumping = false;
    }
  }

  #startWhatFits(): void {
    const queue = this.#queue;
    while (queue.length > 0 && this.#running < this.#quota) {
      const task = queue.peek() as ReceivedTask;
      // Its running time counts from here, even if it then blocks the thread: written before the
      // claim, so that the main thread finds the start of every task it sees started.
      const timed = (task.flags & TaskFlags.Timed) !== 0;
      const recorded = timed && this.#startTimes?.record(task.seq, now()) === true;
      if (!this.#claims.claim(task.seq)) {
        if (recorded) this.#startTimes?.forget(task.seq);
        // The main thread took back tasks that had not started.
        dropRevoked(queue, this.#claims.acceptRevocation());
        continue;
      }
      queue.shift();
      // Nowhere to write its start (a child process, or every entry taken): the main thread is told.
      if (timed && !recorded) this.#post(startedMessage(task.seq, now()));
      if (this.#timings) this.#starts.push(task.seq, clock());
      // A task that may be aborted, or that starts beside one, may end with this thread stopped
      // after the grace: the results already computed must be out of reach of that first.
      if (this.#out.length > 0 && (task.flags !== 0 || this.#controlled.any)) this.#secureHeld();
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
          this.#claims.setLastTaskLong(long);
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
    if (queue.length === 0 && this.#helpable.length > 0 && !this.#poolQueued()) this.#help();
  }

  /** Whether the main thread holds tasks for the pool: a slot freed here will get one soon. */
  #poolQueued(): boolean {
    return loadWord(this.#control, MAIN_QUEUED) !== 0;
  }

  /**
   * Nothing waits in the queue and slots are free: they take the unstarted items of running
   * chunks, a helper per chunk in turn (so that the chunks with most left get most help).
   */
  #help(): void {
    const helpable = this.#helpable;
    let i = 0;
    while (this.#running < this.#quota && helpable.length > 0) {
      if (i >= helpable.length) i = 0;
      const run = helpable[i] as ChunkRun;
      if (!run.hasUnstarted) {
        helpable.splice(i, 1);
        continue;
      }
      this.#running++;
      this.#claims.runningSync(run.seq);
      run.help();
      this.#claims.runningSync(0);
      i++;
    }
    // Drop the chunks with nothing left to take, so that they are not kept alive here.
    if (helpable.length > 0) this.#helpable = helpable.filter((run) => run.hasUnstarted);
  }

  #start(task: ReceivedTask): void {
    this.#running++;
    let fn: AnyFunction | undefined;
    try {
      fn = this.#cache.get(task.fn);
    } catch (thrown) {
      this.complete(task.seq, Outcome.Error, serializeError(thrown));
      return;
    }
    if (task.serialized) {
      try {
        task.payload = nodeV8().deserialize(task.payload as Uint8Array);
      } catch (thrown) {
        this.complete(
          task.seq,
          Outcome.Error,
          serializeError(unreadable(task, thrown, this.#carrier)),
        );
        return;
      }
    }
    const context =
      task.flags === 0 ? UNCONTROLLED : this.#controlled.context(task.seq, task.flags);
    if (fn) {
      // Seen by the main thread while this task's synchronous code runs (see RUNNING).
      this.#claims.runningSync(task.seq);
      this.#execute(fn, task, context);
      this.#claims.runningSync(0);
      return;
    }
    // Its module is still loading (the first task of a module; with tsx, a cold thread may take
    // most of a second): an abort meanwhile ends the task before any of its code runs.
    const seq = task.seq;
    this.#loadingFor.add(seq);
    this.#cache.load(task.fn).then(
      (loaded) => {
        if (this.#loadingFor.delete(seq)) this.#execute(loaded, task, context);
      },
      (thrown) => {
        if (this.#loadingFor.delete(seq)) this.complete(seq, Outcome.Error, serializeError(thrown));
      },
    );
  }

  #execute(fn: AnyFunction, task: ReceivedTask, context: TaskContext): void {
    const slot = this.#slot;
    // Kept across awaits only where something may ask for it (see run/task-context.ts).
    const stored = task.flags !== 0 || slot.apiLoaded || this.#cache.usesTaskApi(fn);
    if (!stored && slot.storage === undefined) {
      // Nothing in this thread can ask: the task runs as it is, and a chunk of a map's default
      // chunksize may be helped (a controlled task is not: its signal and time are the chunk's).
      execute(
        fn,
        task.mode,
        task.payload,
        task.seq,
        this,
        task.divisible ? this.#helpers : undefined,
      );
      return;
    }
    executeInContext(slot, context, stored, fn, task.mode, task.payload, task.seq, this);
  }

  /**
   * Takes the messages waiting on the port now, in order, in the middle of a task, until
   * `signal` has aborted (its `abort` message was posted before the word that sent us here).
   * Tasks they bring are queued, not started: the running task has the thread.
   */
  #takeMessagesNow(signal: AbortSignal): void {
    while (!signal.aborted) if (!this.#takeWaiting()) return;
  }

  /**
   * Takes the next message waiting on the port, if any, and handles it (tasks it brings are
   * queued). False when none waited, or the runtime refused the port.
   */
  #takeWaiting(): boolean {
    let entry: { message: unknown } | undefined;
    try {
      entry = this.#reader.take();
    } catch (error) {
      // The message could not be deserialized (it is consumed all the same).
      this.#lost(error);
      return true;
    }
    if (entry === undefined) return false;
    this.#enqueue(entry.message as ToWorker);
    return true;
  }

  /** A `progress()` value of a running task: in the results stream, before its result. */
  #sendProgress(seq: number, bytes: Uint8Array): void {
    if (this.#out.length === 0) this.#oldestResultAt = now();
    appendProgress(this.#out, seq, bytes);
    // Sent as it goes, at most every millisecond: a task reporting from a long synchronous
    // stretch gives the thread no turn in which to send it later.
    const at = now();
    if (at - this.#progressSentAt >= FLUSH_DELAY_MS) {
      this.#progressSentAt = at;
      this.#flush();
    } else this.#flushSoon();
  }

  complete(seq: number, outcome: Outcome, value: unknown, chunk?: boolean): void {
    this.#running--;
    const aborted = this.#controlled.ended(seq);
    this.#startTimes?.forget(seq);
    if (this.#out.length === 0) this.#oldestResultAt = now();
    appendResult(this.#out, this.#outTransfer, seq, outcome, value, chunk);
    // An aborted task that stopped goes out at once: were it to wait behind a long synchronous
    // task that starts next, its grace would run out and its thread be stopped for nothing.
    if (aborted) this.#flush();
    // Either way the loop runs again: tasks that waited for this slot start.
    this.#flushSoon();
  }

  /** Outside the task loop (an asynchronous task reported): send soon, then start what waits. */
  #flushSoon(): void {
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

  /**
   * Copies the results held where the main thread reads them should this thread be stopped (see
   * protocol/held-results.ts), or posts them when that cannot be done.
   */
  #secureHeld(): void {
    if (this.#heldUpTo === this.#out.length) return;
    if (
      this.#held !== undefined &&
      this.#outTransfer.length === 0 &&
      this.#held.append(this.#out, this.#heldUpTo)
    ) {
      this.#heldUpTo = this.#out.length;
      return;
    }
    this.#flush();
  }

  /** `withStarts`: send the start times even with no result to carry them (the thread is exiting). */
  #flush(withStarts = false): void {
    if (this.#out.length === 0 && !(withStarts && this.#starts.length > 0)) return;
    if (this.#starts.length > 0) {
      appendStarts(this.#out, this.#starts);
      this.#starts.length = 0;
    }
    const results = this.#out;
    this.#out = [];
    const transfer = this.#outTransfer;
    this.#outTransfer = [];
    try {
      this.#post(results, transfer);
    } catch {
      // Some result cannot be cloned: send them one by one so only that task fails.
      for (const one of splitResults(results)) this.#sendOne(one);
    }
    // Only now: at every moment, what the thread held is posted or copied.
    if (this.#heldUpTo > 0) {
      this.#heldUpTo = 0;
      this.#held?.clear();
    }
  }

  /** A batch of one result; one that cannot be cloned becomes an error that can. */
  #sendOne(one: ResultsMessage): void {
    try {
      this.#post(one);
    } catch (cloneError) {
      this.#post([one[0], Outcome.Error, uncloneableResult(cloneError)]);
    }
  }
}

/** A payload serialized at the call that this thread cannot read (too deep for its stack…). */
function unreadable(task: ReceivedTask, thrown: unknown, carrier: 'thread' | 'process'): Error {
  const what = task.mode === 0 ? "The task's arguments" : 'The items of the chunk';
  const reason = (thrown as Error)?.message;
  const where =
    carrier === 'process'
      ? `the child process (${reason}): they are too deep or too large for its stack.`
      : `the worker thread (${reason}): they are too deep or too large for the thread's stack ` +
        '(see resourceLimits.stackSizeMb).';
  return new DOMException(
    `${what} could be sent but not read by ${where} Pass flatter data.`,
    'DataCloneError',
  );
}
