/**
 * Results a thread holds, copied where the main thread can still read them once the thread is
 * gone. A thread sends its results in batches (see results.ts), so some are held while it runs
 * the next task. If that task may be aborted (a signal, a timeout, or beside a running one that
 * may), it may end with the thread stopped in the middle of it, and what the thread held would
 * be lost with it: tasks that finished would fail. Posting the held results before each such
 * task costs a message per task each way (a signal per call then cost 3–4× a plain call). Here
 * the thread copies them into memory it shares with the main thread instead, which reads it only
 * after the thread has exited: nothing races.
 *
 * Only results that are cheap to copy are held this way: plain values (a number, a boolean, a
 * short string, null, undefined), written field by field. A serializer costs a thread more than
 * posting the batch: a held result of any other kind is posted, as before.
 *
 * Layout: at 0, how many bytes of entries are complete (published last); from HEADER, entries
 * of a seq (u32), an outcome (u8), a kind (u8) and the value's bytes.
 */
import { Outcome } from './outcomes.js';
import type { ResultsMessage } from './results.js';

/** Room per thread: enough for a few hundred small results. */
export const HELD_RESULTS_BYTES = 64 * 1024;
const HEADER = 8;

export function createHeldResults(): SharedArrayBuffer {
  return new SharedArrayBuffer(HELD_RESULTS_BYTES);
}

/** What kind of value an entry holds. */
const Kind = {
  Undefined: 0,
  Null: 1,
  False: 2,
  True: 3,
  Number: 4,
  String: 5,
} as const;

/** Longest string held (UTF-16 code units); a longer one is posted. */
const MAX_STRING = 256;

/** The thread's side: copies what it holds, forgets it once posted. */
export class HeldResultsWriter {
  readonly #length: Int32Array;
  readonly #view: DataView;
  readonly #capacity: number;

  constructor(buffer: SharedArrayBuffer) {
    this.#length = new Int32Array(buffer, 0, 1);
    this.#view = new DataView(buffer);
    this.#capacity = buffer.byteLength;
  }

  /**
   * Copies entries `from`… of `out` (whole triples). False when one is not a plain value, or
   * they do not fit: the caller posts them instead.
   */
  append(out: ResultsMessage, from: number): boolean {
    const view = this.#view;
    const start = HEADER + Atomics.load(this.#length, 0);
    let at = start;
    for (let i = from; i + 2 < out.length; i += 3) {
      const outcome = out[i + 1] as number;
      // A task's result only: errors, chunk failures and progress reports (bytes) are posted.
      if (outcome !== Outcome.Ok) return false;
      const value = out[i + 2];
      // The largest entry: seq, outcome, kind, a string's length and its code units.
      if (at + 10 + 2 * MAX_STRING > this.#capacity) return false;
      view.setUint32(at, out[i] as number, true);
      view.setUint8(at + 4, outcome);
      at += 6;
      switch (typeof value) {
        case 'undefined':
          view.setUint8(at - 1, Kind.Undefined);
          break;
        case 'boolean':
          view.setUint8(at - 1, value ? Kind.True : Kind.False);
          break;
        case 'number':
          view.setUint8(at - 1, Kind.Number);
          view.setFloat64(at, value, true);
          at += 8;
          break;
        case 'string': {
          if (value.length > MAX_STRING) return false;
          view.setUint8(at - 1, Kind.String);
          view.setUint32(at, value.length, true);
          at += 4;
          for (let c = 0; c < value.length; c++, at += 2) {
            view.setUint16(at, value.charCodeAt(c), true);
          }
          break;
        }
        default:
          if (value !== null) return false;
          view.setUint8(at - 1, Kind.Null);
      }
    }
    // Published after the bytes: the count covers complete entries only.
    Atomics.store(this.#length, 0, at - HEADER);
    return true;
  }

  /** What was held has been posted. */
  clear(): void {
    Atomics.store(this.#length, 0, 0);
  }
}

/**
 * The main thread's side, once the thread has exited: the results it held and did not post, as
 * one results batch. Results the thread did post before
 * exiting may come again here: the engine settles a task once and takes no outcome for a task it
 * no longer waits for.
 */
export function readHeldResults(buffer: SharedArrayBuffer): ResultsMessage {
  const end = HEADER + Atomics.load(new Int32Array(buffer, 0, 1), 0);
  const view = new DataView(buffer);
  const results: ResultsMessage = [];
  let at = HEADER;
  while (at < end) {
    const seq = view.getUint32(at, true);
    const outcome = view.getUint8(at + 4);
    const kind = view.getUint8(at + 5);
    at += 6;
    let value: unknown;
    switch (kind) {
      case Kind.Undefined:
        value = undefined;
        break;
      case Kind.Null:
        value = null;
        break;
      case Kind.False:
        value = false;
        break;
      case Kind.True:
        value = true;
        break;
      case Kind.Number:
        value = view.getFloat64(at, true);
        at += 8;
        break;
      case Kind.String: {
        const length = view.getUint32(at, true);
        at += 4;
        const units = new Array<number>(length);
        for (let c = 0; c < length; c++, at += 2) units[c] = view.getUint16(at, true);
        value = String.fromCharCode(...units);
        break;
      }
    }
    results.push(seq, outcome, value);
  }
  return results;
}
