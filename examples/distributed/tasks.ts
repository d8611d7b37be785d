// The task module the `spindle worker` processes serve for examples/distributed/main.ts: what runs
// on the other machines. Workers load it by path (`--modules ./examples/distributed/tasks.ts`),
// and the client names it by the same path relative to its own directory.
import { Socket } from 'node:net';

/** The guide's port test: true if a connection can be made within `timeoutMs`. */
export async function testPortNumber(
  host: string,
  port: number,
  timeoutMs = 3000,
): Promise<boolean> {
  const sock = new Socket();
  sock.setTimeout(timeoutMs);
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

/** CPU-bound: how many primes lie in [from, to). */
export function countPrimes([from, to]: [number, number]): number {
  let count = 0;
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
