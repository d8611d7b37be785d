/**
 * Where an error thrown by a user callback goes (a result callback, a done-callback): the owner's
 * `'error'` event when someone listens, else a process warning. Never a throw into the pool's own
 * machinery, and never lost. The one path for every such error.
 */
import type { EventEmitter } from 'node:events';

/** `owner`: the pool or executor whose `'error'` event may take it; null when there is none. */
export function reportCallbackError(
  owner: EventEmitter | null,
  error: unknown,
  what: string,
): void {
  if (owner && owner.listenerCount('error') > 0) {
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
