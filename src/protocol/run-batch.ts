/**
 * Main → worker: run these tasks. One flat array per batch, as every object (and every property
 * name) the structured clone meets costs far more than a number: a batch of one task is one array
 * of five numbers and the task's arguments, not an object holding an array. Task i has seq
 * `firstSeq + i`. Per-task fields that are the same for the whole batch are sent once, and a Call
 * task's arguments are spread into the data entries rather than nested. The functions it names
 * were defined by an earlier DefineMessage (see control.ts).
 */
import { DIVISIBLE, MODE_BITS, Mode } from './outcomes.js';
import { packNumbers } from './packing.js';
import { SerializedPayload } from './serialized.js';

export type RunMessage = [
  firstSeq: number,
  count: number,
  /** Function id of each task, or one id for all. */
  fns: number[] | number,
  /** Mode of each task, or one mode for all, with its TaskFlags in the high bits. */
  modes: number[] | number,
  /**
   * For each task, how many data entries it takes: a Call task's arguments one by one; a chunk
   * task takes exactly one entry (the chunk's items: an array, or a transferred Float64Array when
   * they are all numbers), written as -1; a payload serialized at the call takes one entry (its
   * bytes), written as -2. One number for all.
   */
  sizes: number[] | number,
  ...data: unknown[],
];

/** Where a RunMessage's data entries begin. */
export const RUN_DATA = 5;

/** What the encoder reads of a task (the main thread's Task has these). */
export interface TaskToSend {
  readonly record: { readonly id: number };
  readonly mode: Mode;
  /** The argument list (Call), or the chunk's items, or either serialized (SerializedPayload). */
  readonly payload: unknown;
  /** TaskFlags (0 for a task issued without signal, timeout or onProgress). */
  readonly flags: number;
  /** A chunk whose items may run side by side in the thread's free slots (see DIVISIBLE). */
  readonly divisible?: boolean;
}

/** A data entry of -1 size: one entry for the task (a chunk's items). */
const ONE_ENTRY = -1;
/** A data entry of -2 size: the task's payload as serialized bytes. */
const SERIALIZED = -2;

/** A task as the thread reads it from a batch. */
export interface ReceivedTask {
  seq: number;
  fn: number;
  mode: Mode;
  /** TaskFlags: what the task asks of its thread besides running. */
  flags: number;
  /** See DIVISIBLE. */
  divisible: boolean;
  /**
   * The argument list (Call), or the chunk's items (an array, or a Float64Array when packed); with
   * `serialized`, the bytes of either, for the thread to deserialize.
   */
  payload: unknown;
  serialized: boolean;
}

/** The message for these tasks, and the packed number buffers it transfers (if any). */
export function encodeRunBatch(
  tasks: readonly TaskToSend[],
  firstSeq: number,
): [RunMessage, ArrayBuffer[] | undefined] {
  let packedBuffers: ArrayBuffer[] | undefined;
  const n = tasks.length;
  const first = tasks[0] as TaskToSend;
  if (n === 1 && first.mode === Mode.Call && !(first.payload instanceof SerializedPayload)) {
    return [
      oneCall(firstSeq, first.record.id, wireMode(first), first.payload as unknown[]),
      undefined,
    ];
  }
  let fns: number[] | number = first.record.id;
  let modes: number[] | number = wireMode(first);
  let sizes: number[] | number = sizeOf(first);
  const message: RunMessage = [firstSeq, n, fns, modes, sizes];
  for (let i = 0; i < n; i++) {
    const task = tasks[i] as TaskToSend;
    const id = task.record.id;
    // Per-task arrays only once the batch stops being uniform.
    if (typeof fns === 'number' && id !== fns) fns = new Array<number>(i).fill(fns);
    if (typeof fns !== 'number') fns.push(id);
    const mode = wireMode(task);
    if (typeof modes === 'number' && mode !== modes) modes = new Array<number>(i).fill(modes);
    if (typeof modes !== 'number') modes.push(mode);
    const size = sizeOf(task);
    if (typeof sizes === 'number' && size !== sizes) sizes = new Array<number>(i).fill(sizes);
    if (typeof sizes !== 'number') sizes.push(size);
    if (size >= 0) for (const arg of task.payload as unknown[]) message.push(arg);
    else if (size === SERIALIZED) message.push((task.payload as SerializedPayload).bytes);
    else {
      const packed = task.mode === Mode.Map ? packNumbers(task.payload as unknown[]) : null;
      if (packed) {
        message.push(packed);
        if (packedBuffers) packedBuffers.push(packed.buffer);
        else packedBuffers = [packed.buffer];
      } else {
        message.push(task.payload);
      }
    }
  }
  message[2] = fns;
  message[3] = modes;
  message[4] = sizes;
  return [message, packedBuffers];
}

/**
 * The message for one call (a pool answering one task at a time sends one per task), written
 * out at its final size for the usual few arguments: pushing them onto the five numbers copies
 * them into a larger store, and a spread builds the array through an iterator (about twice the
 * bytes either way, for the garbage collector to clear).
 */
function oneCall(firstSeq: number, fn: number, mode: number, args: unknown[]): RunMessage {
  switch (args.length) {
    case 0:
      return [firstSeq, 1, fn, mode, 0];
    case 1:
      return [firstSeq, 1, fn, mode, 1, args[0]];
    case 2:
      return [firstSeq, 1, fn, mode, 2, args[0], args[1]];
    case 3:
      return [firstSeq, 1, fn, mode, 3, args[0], args[1], args[2]];
    default:
      return [firstSeq, 1, fn, mode, args.length, ...args];
  }
}

function wireMode(task: TaskToSend): number {
  return task.mode | task.flags | (task.divisible === true ? DIVISIBLE : 0);
}

function sizeOf(task: TaskToSend): number {
  if (task.payload instanceof SerializedPayload) return SERIALIZED;
  return task.mode === Mode.Call ? (task.payload as unknown[]).length : ONE_ENTRY;
}

/**
 * Appends the batch's tasks to `into`, in seq order, but those with a seq up to `droppedUpTo`
 * (taken back by the main thread before the batch was read: see claims.ts).
 */
export function decodeRunBatch(
  message: RunMessage,
  droppedUpTo: number,
  into: { push(task: ReceivedTask): void },
): void {
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
    if (seq <= droppedUpTo) continue;
    const mode = typeof modes === 'number' ? modes : (modes[i] as number);
    into.push({
      seq,
      fn: typeof fns === 'number' ? fns : (fns[i] as number),
      mode: (mode & MODE_BITS) as Mode,
      flags: mode & ~(MODE_BITS | DIVISIBLE),
      divisible: (mode & DIVISIBLE) !== 0,
      payload,
      serialized: size === SERIALIZED,
    });
  }
}
