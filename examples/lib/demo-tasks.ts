// Task module for the demo: its exports run in spindle's worker threads through fromModule(),
// and on the main thread when imported directly (for the serial timings).
// Imported with the module, not inside the task: a cancelled call is then seen at once, even
// when a cold thread would take a while to load spindle/task.
import { signal } from 'spindle/task';
import type { Item } from './slow-server.js';

/** Returns true if a TCP connection to host:port can be made, false otherwise. */
export async function testPortNumber(host: string, port: number): Promise<boolean> {
  const { Socket } = await import('node:net');
  const sock = new Socket();
  sock.setTimeout(3000);
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
      sock.once('timeout', () => reject(new Error('timed out')));
      sock.connect(port, host);
    });
    return true;
  } catch {
    return false;
  } finally {
    sock.destroy();
  }
}

/** Asks the demo's server for item `id`: connect, send the id, read the answer (one line of JSON). */
export async function getItem(host: string, port: number, id: number): Promise<Item> {
  const { connect } = await import('node:net');
  return new Promise<Item>((resolve, reject) => {
    let answer = '';
    const socket = connect(port, host, () => socket.write(`${id}\n`));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('end', () => {
      try {
        resolve(JSON.parse(answer) as Item);
      } catch (error) {
        reject(error);
      }
    });
    socket.on('error', reject);
  });
}

/** The n-th Fibonacci number, the slow way: a CPU-bound task. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** Stands for an I/O-bound task of `ms` milliseconds; returns the item's id. */
export async function fetchItem([id, ms]: [number, number]): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return id;
}

/**
 * Waits `ms` milliseconds, unless its call is cancelled first: it watches its `signal()` and
 * stops at once, so its thread goes on with other tasks (a task that ignores its signal keeps
 * its thread until `abortGrace` runs out, and is then stopped with it).
 */
export async function waitUnlessCancelled(ms: number): Promise<number> {
  const cancelled = signal();
  if (cancelled.aborted) throw cancelled.reason;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    cancelled.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(cancelled.reason);
      },
      { once: true },
    );
  });
  return ms;
}
