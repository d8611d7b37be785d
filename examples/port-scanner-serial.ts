// Guide › "ThreadPool Example" › "Scan a Range of Ports on a Server"
// Scan a range of port numbers on the host one by one: 127.0.0.1 instead of python.org, with
// listeners of our own on 80 and 443 (or a free range when those cannot be bound).
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
  // scan each port number
  for (const port of ports) {
    if (await testPortNumber(host, port)) {
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
const start = performance.now();
await portScan(host, ports);
console.log(`Took ${((performance.now() - start) / 1000).toFixed(2)} seconds`);
await listeners.close();
