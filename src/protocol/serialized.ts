/**
 * A task payload serialized once, when the call was made (see engine/capture.ts), and carried as
 * bytes: the thread deserializes it. V8's serializer is the one `postMessage` uses, so values
 * arrive as they would by message (class instances as plain objects, Maps, Dates, typed arrays…),
 * and the main thread pays for one serialization instead of a clone plus a serialization.
 */
export class SerializedPayload {
  constructor(readonly bytes: Uint8Array) {}
}
