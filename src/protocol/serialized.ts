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
 * isSplittable in engine/task-queue.ts): the main thread reads the items back to cut them, and
 * 64 KiB of small objects (~2,000) take it 0.4–0.7 ms, a pause its event loop can afford for
 * each chunk of the last wave. Larger chunks of objects are left whole: many items to a chunk
 * come from a long map, whose last wave is a small part of it.
 */
export const MAX_CUT_BYTES = 64 * 1024;
