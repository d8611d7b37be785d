// Loopback listeners for the port-scanner examples: the guide scans python.org, these examples
// scan 127.0.0.1 only, so each one first opens a few listeners of its own for the scan to find.
import { createServer, type Server } from 'node:net';

/** The host every port-scanner example scans. Never another one. */
export const HOST = '127.0.0.1';

export interface Listeners {
  /** The 1,024 port numbers to scan: 0..1023, or a 1,024-port range around the listeners. */
  ports: number[];
  /** The ports this process listens on (inside `ports`). */
  open: number[];
  /** Stop listening. */
  close(): Promise<void>;
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      // the scanner disconnects at once: ignore resets, drop the connection
      socket.on('error', () => {});
      socket.destroy();
    });
    server.once('error', reject);
    server.listen({ host: HOST, port, exclusive: true }, () => {
      server.off('error', reject);
      // a forgotten listener never keeps the example alive
      server.unref();
      resolve(server);
    });
  });
}

async function listenAll(ports: number[]): Promise<Server[] | undefined> {
  const servers: Server[] = [];
  for (const port of ports) {
    try {
      servers.push(await listen(port));
    } catch {
      await Promise.all(servers.map(closeServer));
      return undefined;
    }
  }
  return servers;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function range(start: number, stop: number): number[] {
  return Array.from({ length: stop - start }, (_, i) => start + i);
}

/**
 * Listen on 127.0.0.1:80 and :443 (the two ports the guide finds open on python.org) and scan
 * 0..1023, as the guide does. When those ports cannot be bound (not root, or already taken),
 * listen on `base + 80` and `base + 443` for a random base in 10240..31744 instead, and
 * scan `base .. base + 1023`.
 */
export async function openListeners(offsets: number[] = [80, 443]): Promise<Listeners> {
  let base = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    const servers = await listenAll(offsets.map((offset) => base + offset));
    if (servers) {
      return {
        ports: range(base, base + 1024),
        open: offsets.map((offset) => base + offset),
        close: async () => {
          await Promise.all(servers.map(closeServer));
        },
      };
    }
    // a multiple of 1,024 below Linux's ephemeral ports (32768+), so that no outgoing connection of
    // the scan can take a port of the scanned range as its own source port
    base = 1024 * (10 + Math.floor(Math.random() * 22));
  }
  throw new Error(`could not listen on ${HOST}: no free ports found`);
}
