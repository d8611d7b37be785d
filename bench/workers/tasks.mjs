// Task functions for piscina and tinypool: one named export per task, chosen with `{ name }`.
// The same bodies as the inline functions the spindle adapter sends (bench/adapters/spindle.ts).

export function inc(x) {
  return x + 1;
}

export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

// One GET with Node's http, no keep-alive (a connection per request): the HTTP workload.
export async function httpGet(url) {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

// Whether a TCP connect to host:port succeeds: the port scan (bench/workloads/portscan.ts).
export async function testPortNumber(host, port) {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const settle = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(3000, () => settle(false));
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
  });
}
