/**
 * A child process's IPC channel, dressed as the port the runtime talks on (a MessagePort between
 * threads): messages come as 'message' events, and go by `process.send` (structured clone, with
 * the pool's `serialization: 'advanced'`). Nothing can be taken from it at once, so the runtime's
 * PortReader turns itself off for it (see protocol/port-reader.ts).
 */
import { EventEmitter } from 'node:events';

type Send = (message: unknown) => boolean;

export class IpcPort extends EventEmitter {
  readonly #send: Send;

  /** `send`: `process.send`, captured before any task code runs. */
  constructor(send: Send) {
    super();
    this.#send = send;
  }

  /**
   * Sends a message to the pool (a value that cannot be cloned throws, as postMessage does). The
   * transfer list is not needed: what crosses to another process is always copied.
   */
  postMessage(message: unknown, _transfer?: readonly unknown[]): void {
    // The parent is gone (this process is about to exit, see child-entry.ts): nothing to tell.
    if (!process.connected) return;
    this.#send(message);
  }
}
