// A local server for the demo that answers like a server across a network: each request waits
// 30-100 ms before its answer, as a round trip to a distant host does. It listens on 127.0.0.1,
// on a port the system picks, and the demo closes it when done. The protocol is one line each
// way over TCP (the client sends an item's id, the server answers with the item as JSON and
// hangs up): HTTP would do as well, but would spend more of this machine's CPU on parsing.
import { type AddressInfo, createServer, type Socket } from 'node:net';

export const MIN_DELAY_MS = 30;
export const MAX_DELAY_MS = 100;

/** The answer to a request for item N. */
export interface Item {
  id: number;
  /** How long the server waited before it answered, in ms. */
  delay: number;
}

/** The delay of item `id`: spread over 30-100 ms, the same on every run. */
export function delayOf(id: number): number {
  const span = MAX_DELAY_MS - MIN_DELAY_MS + 1;
  return MIN_DELAY_MS + ((id * 7919) % span);
}

export interface SlowServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

function answer(socket: Socket): void {
  let request = '';
  socket.setEncoding('utf8');
  socket.on('error', () => {});
  socket.on('data', (chunk: string) => {
    request += chunk;
    if (!request.includes('\n')) return;
    const id = Number.parseInt(request, 10);
    const item: Item = { id, delay: delayOf(id) };
    setTimeout(() => socket.end(`${JSON.stringify(item)}\n`), item.delay);
  });
}

export async function openSlowServer(): Promise<SlowServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    answer(socket);
  });
  // 1,024 clients connect at once: a listen queue long enough that none of them waits for a retry
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 2048 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // a forgotten server never keeps the demo alive
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
