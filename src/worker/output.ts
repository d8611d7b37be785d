/**
 * What tasks write to stdout and stderr (and so `console.*`) travels on the pool's channel, in
 * the same ordered stream as the results: the main thread writes it out before it delivers any
 * result that follows. (Node's own forwarding of a thread's stdio takes another route, which can
 * deliver it after the result, or lose it when the thread is stopped.)
 */

// Captured once, before any task code runs: tasks share the thread's globals.
const nextTick = process.nextTick;
const bufferFrom = Buffer.from.bind(Buffer);

/** Replaces `stream.write` with one that hands each non-empty write to `written`. */
export function captureOutput(
  stream: NodeJS.WriteStream,
  written: (data: string | Uint8Array) => void,
): void {
  const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const done = typeof encoding === 'function' ? encoding : callback;
    let data: string | Uint8Array;
    if (typeof chunk === 'string') {
      data =
        typeof encoding === 'string' && !/^utf-?8$/i.test(encoding)
          ? bufferFrom(chunk, encoding as BufferEncoding)
          : chunk;
    } else if (chunk instanceof Uint8Array) {
      data = chunk;
    } else {
      // As Node's own write says it.
      const error = new TypeError(
        `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${chunk === null ? 'null' : typeof chunk}`,
      );
      (error as { code?: string }).code = 'ERR_INVALID_ARG_TYPE';
      throw error;
    }
    if (data.length > 0) written(data);
    if (typeof done === 'function') nextTick(done as () => void);
    return true;
  };
  stream.write = write as typeof stream.write;
}
