// Starts the HTTP workload's server (bench/servers/slow-http.ts, compiled into BUILD_DIR) in a
// process of its own and waits for its port.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BUILD_DIR } from './paths.js';

export interface SlowServer {
  port: number;
  close(): Promise<void>;
}

export function startSlowServer(delayMs: number): Promise<SlowServer> {
  const script = join(BUILD_DIR, 'servers', 'slow-http.js');
  const child = spawn(process.execPath, [script, String(delayMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin.end();
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    });
  return new Promise((resolve, reject) => {
    let output = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the HTTP server exited (code ${code})`)));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = /port (\d+)/.exec(output);
      if (match) resolve({ port: Number(match[1]), close });
    });
  });
}
