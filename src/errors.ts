/**
 * The error classes spindle raises itself. Each is a real subclass of `Error`, so callers can
 * test with `instanceof`, and each has a `name` equal to its class name.
 */

function nameClass(ctor: { prototype: Error; name: string }): void {
  Object.defineProperty(ctor.prototype, 'name', {
    value: ctor.name,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/** A wait (`get`, `wait`, `next`, `result`, `asCompleted`) ran out of time. The task goes on. */
export class TimeoutError extends Error {}

/**
 * A call is not allowed in the object's current state: issuing to a closed pool, `join()` on a
 * running pool, `successful()` on a result that is not ready, submitting after `shutdown()`.
 */
export class InvalidStateError extends Error {}

/** The task was cancelled before it could finish: `terminate()`, `Future.cancel()`, `shutdown({ cancelFutures })`. */
export class CancelledError extends Error {}

/**
 * The pool can no longer run tasks because a thread failed to start (its initializer threw or
 * the thread exited while starting). `cause` holds the original failure.
 */
export class BrokenPoolError extends Error {}

/** The thread running the task exited (`process.exit()`, an uncaught error, out of memory). */
export class WorkerExitError extends Error {
  /** The thread's exit code. */
  readonly exitCode: number;
  /** The name of the thread that exited. */
  readonly threadName: string;

  constructor(message: string, exitCode: number, threadName: string, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
    this.threadName = threadName;
  }
}

for (const ctor of [
  TimeoutError,
  InvalidStateError,
  CancelledError,
  BrokenPoolError,
  WorkerExitError,
]) {
  nameClass(ctor);
}
