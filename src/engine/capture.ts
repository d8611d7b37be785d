/**
 * SPEC §2: arguments are captured when the call is made, so that changing an argument afterwards
 * changes nothing. A task is sent to its thread a moment later (tasks issued together travel
 * together), and `postMessage` would clone what it finds then; so a task whose payload holds
 * objects is serialized at the call, and one of plain values (the common case) costs nothing.
 */
import { serialize } from 'node:v8';
import type { Transferable } from '../options/types.js';
import { mayBeDeep } from '../protocol/depth.js';
import { Mode } from '../protocol/messages.js';
import { SerializedPayload } from '../protocol/serialized.js';
import type { Task } from './task.js';

function isPlain(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

/** Whether every value is a primitive (for a starmap chunk: every value of every argument list). */
function allPlain(values: readonly unknown[], nested: boolean): boolean {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (isPlain(value)) continue;
    // Argument lists of a starmap chunk are the pool's own copies; what they hold counts.
    if (nested && Array.isArray(value) && allPlain(value, false)) continue;
    return false;
  }
  return true;
}

/**
 * Captures the task's payload when it holds objects: a chunk's items serialized to bytes once
 * (the thread deserializes them; see protocol/serialized.ts), and a call's arguments too when
 * `serializeCalls` and they may be deep (protocol/depth.ts); otherwise a call's arguments, or
 * what V8's serializer alone cannot carry (buffers to transfer, SharedArrayBuffers to share,
 * ports), cloned with its transfer list, the buffers moving now as they would have at the send.
 * What cannot be captured either way is left as it is: the send fails that task alone, with the
 * error that says why.
 */
export function capturePayload(task: Task, serializeCalls = false): void {
  const payload = task.payload;
  if (!Array.isArray(payload) || allPlain(payload, task.mode === Mode.Starmap)) return;
  const transfer = task.transfer;
  // A chunk's items are serialized: one buffer for many values. A call's few arguments are
  // cloned for a thread: a buffer per call would cost more than the clone (each is an object to
  // send). For a child process, those that may be deep are serialized too (`serializeCalls`, see
  // HostKind), so that the child reads them in a try.
  if (
    (task.mode !== Mode.Call || (serializeCalls && mayBeDeep(payload))) &&
    (transfer === undefined || transfer.length === 0)
  ) {
    try {
      task.payload = new SerializedPayload(serialize(payload));
      return;
    } catch {
      // A SharedArrayBuffer, a port, something too deep…: the clone below tells them apart.
    }
  }
  // A detached buffer cannot move: left for the send to fail that task (a clone would hide it).
  if (transfer?.some(isDetached)) return;
  try {
    const captured = structuredClone(
      { payload, transfer },
      transfer && transfer.length > 0 ? { transfer: transfer as Transferable[] } : undefined,
    );
    task.payload = captured.payload;
    task.transfer = captured.transfer;
  } catch {
    // Left for the send to report (a function, a symbol, a detached buffer…).
  }
}

/** Whether a transfer-list item is an ArrayBuffer that was already moved away (detached). */
export function isDetached(item: Transferable): boolean {
  if (!(item instanceof ArrayBuffer) || item.byteLength > 0) return false;
  try {
    new Uint8Array(item);
    return false;
  } catch {
    return true;
  }
}
