/**
 * Taking the next message from a port at once, without waiting for the event loop (Node's
 * `receiveMessageOnPort`): a thread watching for its next batch takes it this way, and the main
 * thread takes what an exited thread left on the channel. A runtime whose
 * `receiveMessageOnPort` rejects the port (some Deno releases did, for the pool's own channel)
 * still delivers every message as a 'message' event: the reader then says so, once, and takes
 * nothing, rather than fail on every try (the callers would retry for ever).
 */
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';

// Captured once: in a thread, task code may replace what it likes.
const receive = receiveMessageOnPort as typeof receiveMessageOnPort | undefined;

/**
 * What the runtime needs of its channel: a MessagePort, or an object that stands for one (a child
 * process's IPC channel, see worker/ipc-port.ts), which `receiveMessageOnPort` refuses: the
 * reader then turns itself off, as above, and every message comes as an event.
 */
export interface ChannelPort {
  on<T>(event: string, listener: (value: T) => void): unknown;
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  /**
   * False when the other side never reports a message it could not read, so that nothing need be
   * kept to answer for one (a child process's channel: its values cross sealed, see
   * worker/ipc-port.ts). A MessagePort's receiver reports one (protocol/delivery.ts).
   */
  readonly reportsLoss?: boolean;
}

export class PortReader {
  readonly #port: ChannelPort;
  #works = typeof receive === 'function';

  constructor(port: ChannelPort) {
    this.#port = port;
  }

  /** Whether messages can be taken at once here; false once the runtime has refused. */
  get works(): boolean {
    return this.#works;
  }

  /**
   * The next message waiting, or undefined if none (or none can be taken at once). Throws if the
   * message cannot be deserialized: it is consumed all the same.
   */
  take(): { message: unknown } | undefined {
    if (!this.#works) return undefined;
    try {
      return (receive as typeof receiveMessageOnPort)(this.#port as unknown as MessagePort);
    } catch (error) {
      // The port itself refused (nothing was consumed), not a message that cannot be read.
      if ((error as { code?: unknown } | null)?.code === 'ERR_INVALID_ARG_TYPE') {
        this.#works = false;
        return undefined;
      }
      throw error;
    }
  }
}
