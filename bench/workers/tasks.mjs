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
