// Task module for the demo: its exports run in spindle's worker threads through fromModule(),
// and on the main thread when imported directly (for the serial timings).

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

/** The n-th Fibonacci number, the slow way: a CPU-bound task. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** Stands for an I/O-bound task of `ms` milliseconds; returns the item's id. */
export async function fetchItem([id, ms]: [number, number]): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return id;
}
