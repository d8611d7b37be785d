/**
 * A task payload serialized once, when the call was made (see engine/capture.ts), and carried as
 * bytes: the thread deserializes it. V8's serializer is the one `postMessage` uses, so values
 * arrive as they would by message (class instances as plain objects, Maps, Dates, typed arrays…),
 * and the main thread pays for one serialization instead of a clone plus a serialization.
 */
import { deserialize } from 'node:v8';

export class SerializedPayload {
  constructor(readonly bytes: Uint8Array) {}

  /** The values again, as the thread would read them (for a chunk cut at a map's end). */
  values(): unknown[] {
    return deserialize(this.bytes) as unknown[];
  }
}

/**
 * The most bytes of a serialized chunk worth cutting into pieces at a map's end (see
 * isSplittable in engine/task-queue.ts): the main thread reads the items back to cut them, which
 * costs about a microsecond per small object. A map whose chunks are larger has many items per
 * chunk, and its threads pay more to read them than the cut would save.
 */
export const MAX_CUT_BYTES = 64 * 1024;
