/**
 * Where an error thrown by a user callback goes: the owner's `'error'` event when someone
 * listens, else a process warning. Never a throw into the pool's own machinery, and never lost.
 */
import type { EventEmitter } from 'node:events';

export function reportCallbackError(owner: EventEmitter, error: unknown, what: string): void {
  if (owner.listenerCount('error') > 0) {
    try {
      owner.emit('error', error);
      return;
    } catch (listenerError) {
      error = listenerError;
    }
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(`${what}: ${detail}`, 'SpindleCallbackError');
}
