// Taking messages from a port at once (src/protocol/port-reader.ts). Where the runtime refuses the
// port, the reader must say so and take nothing, not throw on every try: the thread's watch and
// the main thread's drain after a thread exits would otherwise retry for ever.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { PortReader } from '../../src/protocol/port-reader.js';

describe('PortReader', () => {
  test('takes what was posted, in order, then nothing', () => {
    const { port1, port2 } = new MessageChannel();
    try {
      const reader = new PortReader(port1);
      assert.equal(reader.take(), undefined);
      port2.postMessage({ n: 1 });
      port2.postMessage([2]);
      assert.deepEqual(reader.take(), { message: { n: 1 } });
      assert.deepEqual(reader.take(), { message: [2] });
      assert.equal(reader.take(), undefined);
      assert.equal(reader.works, true);
    } finally {
      port1.close();
      port2.close();
    }
  });

  test('a port the runtime will not read at once: not working, nothing taken, no throw', () => {
    // Node's receiveMessageOnPort rejects what is not one of its MessagePorts, as a runtime with
    // another kind of port does.
    const reader = new PortReader(new EventEmitter() as unknown as MessagePort);
    assert.equal(reader.works, true);
    assert.equal(reader.take(), undefined);
    assert.equal(reader.works, false);
    assert.equal(reader.take(), undefined);
  });
});
