// Guide › "ThreadPool Example" › "How to Scan Ports Concurrently (fast)"
// Scan a range of port numbers on a host concurrently: 127.0.0.1 instead of python.org, with
// listeners of our own on 80 and 443 (or a free range when those cannot be bound). After the
// guide's concurrent scan, the same ports are scanned one by one to compare the two times.
import { ThreadPool } from 'spindle';
import { HOST, openListeners } from './lib/loopback.js';

// returns true if a connection can be made, false otherwise
async function testPortNumber(host: string, port: number): Promise<boolean> {
  const { Socket } = await import('node:net');
  // create and configure the socket
  const sock = new Socket();
  // set a timeout of a few seconds
  sock.setTimeout(3000);
  // connecting may fail
  try {
    // attempt to connect
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
      sock.once('timeout', () => reject(new Error('timed out')));
      sock.connect(port, host);
    });
    // a successful connection was made
    return true;
  } catch {
    // ignore the failure
    return false;
  } finally {
    sock.destroy();
  }
}

// scan port numbers on a host
async function portScan(host: string, ports: number[]): Promise<void> {
  console.log(`Scanning ${host}...`);
  // create the thread pool
  await using pool = new ThreadPool(ports.length);
  // prepare the arguments
  const args = ports.map((port): [string, number] => [host, port]);
  // dispatch all tasks
  const results = await pool.starmap(testPortNumber, args);
  // report results in order
  for (const [i, port] of ports.entries()) {
    if (results[i]) {
      console.log(`> ${host}:${port} open`);
    }
  }
}

// open the listeners the scan will find
const listeners = await openListeners();
// define host and port numbers to scan
const host = HOST;
const ports = listeners.ports;
// test the ports
let start = performance.now();
await portScan(host, ports);
const concurrent = (performance.now() - start) / 1000;
console.log(`Concurrent scan (ThreadPool(${ports.length})): ${concurrent.toFixed(2)} seconds`);

// for comparison: the same ports one by one, on the main thread
start = performance.now();
const found: number[] = [];
for (const port of ports) {
  if (await testPortNumber(host, port)) {
    found.push(port);
  }
}
const serial = (performance.now() - start) / 1000;
console.log(`Serial scan (one by one): ${serial.toFixed(2)} seconds, open: ${found.join(', ')}`);
await listeners.close();
