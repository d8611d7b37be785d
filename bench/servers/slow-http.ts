// A local HTTP server that answers every request after a network-like delay, for the HTTP
// workload. It runs in a process of its own (started by the benchmark's parent), so serving
// the requests does not share an event loop with the client under test. Usage:
// `node slow-http.js <delayMs>`; prints `port <n>` once listening on 127.0.0.1 (port 0: any
// free port), and exits when its stdin closes (the parent ended).
import { createServer } from 'node:http';

const delayMs = Number(process.argv[2] ?? 50);
const server = createServer((request, response) => {
  request.resume();
  setTimeout(() => {
    // No keep-alive: every GET is a connection of its own, on both sides of the comparison.
    response.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'close' });
    response.end('ok');
  }, delayMs);
});
server.keepAliveTimeout = 0;
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`port ${port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
