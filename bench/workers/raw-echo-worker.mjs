// Worker for the raw-echo floor: each message is a batch of numbers; the reply is the batch
// of results (x + 1), in order. No pool, no task protocol.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (batch) => {
  const results = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) results[i] = batch[i] + 1;
  parentPort.postMessage(results);
});
