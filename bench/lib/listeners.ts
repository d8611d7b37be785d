// Listeners for the port scan: every `every`-th port of a block of `count` ports on 127.0.0.1,
// opened by the parent for the duration of the workload. Accepted sockets are closed at once.
import { createServer, type Server } from 'node:net';

export const HOST = '127.0.0.1';

export interface PortBlock {
  ports: number[];
  listening: number[];
  close(): Promise<void>;
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen({ host: HOST, port, backlog: 511 }, () => resolve(server));
  });
}

function closeAll(servers: Server[]): Promise<void> {
  return Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done())))).then(
    () => undefined,
  );
}

/** Picks a random block below the ephemeral port range and retries when a port is taken. */
export async function openPortBlock(count: number, every: number): Promise<PortBlock> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (12000 - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const listening = ports.filter((_, i) => i % every === every - 1);
    const servers: Server[] = [];
    try {
      for (const port of listening) servers.push(await listen(port));
      return { ports, listening, close: () => closeAll(servers) };
    } catch {
      await closeAll(servers);
    }
  }
  throw new Error(`no free block of ${count} ports found on ${HOST}`);
}
