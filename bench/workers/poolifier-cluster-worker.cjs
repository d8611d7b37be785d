// Worker for poolifier's cluster pool: a ClusterWorker with one named task function per task.
// CommonJS on purpose: as an ES module (loaded asynchronously) it misses the pool's first
// messages, which arrive on the cluster channel before its listener exists, and the pool hangs
// (measured with poolifier 5.3 on Node.js 20). The same bodies as bench/workers/tasks.mjs.
const { ClusterWorker } = require('poolifier');

function inc(x) {
  return x + 1;
}

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

module.exports = new ClusterWorker({ inc, fib });
