/**
 * SPEC §2: arguments are captured when the call is made, so that changing an argument afterwards
 * changes nothing. A task is sent to its thread a moment later (tasks issued together travel
 * together), and `postMessage` clones what it finds then; so a task whose payload holds objects is
 * cloned at the call, and one of plain values (the common case) costs nothing more.
 */
import type { Transferable } from '../options/types.js';
import { Mode } from '../protocol/messages.js';
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
 * Replaces the task's payload (and transfer list) with a clone, when it holds objects. Buffers
 * listed in `transfer` move now, as they would have at the send. What cannot be cloned is left as
 * it is: the send fails that task alone, with the error that says why.
 */
export function capturePayload(task: Task): void {
  const payload = task.payload;
  if (!Array.isArray(payload) || allPlain(payload, task.mode === Mode.Starmap)) return;
  const transfer = task.transfer;
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
