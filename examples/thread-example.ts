// Guide › "Python Threads and the Need for Threads Pools" › "What Are Python Threads"
// Example of executing a target task function in a separate thread. (sleep(1) scaled to 100 ms)
// Python's threading.Thread is node:worker_threads' Worker here: a thread runs a script, so the
// function's source is handed to it (the rest of the examples let spindle do this).
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

// a simple task that blocks for a moment and prints a message
async function task() {
  // block for a moment
  await new Promise((resolve) => setTimeout(resolve, 100));
  // display a message
  console.log('This is coming from another thread');
}

// create and configure a new thread to run a function (it starts at once: no start() to call)
const thread = new Worker(`(${task})()`, { eval: true });
// display a message
console.log('Waiting for the new thread to finish...');
// wait for the task to complete
await once(thread, 'exit');
