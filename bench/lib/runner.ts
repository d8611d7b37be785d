// Runs one measurement in a fresh child process, with a hard timeout: a pool that crashes
// or hangs costs its own sample, never the run.
import { spawn } from 'node:child_process';
import { type ChildResult, RESULT_MARKER, TEARDOWN_MARKER } from '../shared/protocol.js';

export type Sample =
  | { ok: true; result: ChildResult; wallMs: number; teardownError?: string }
  | { ok: false; error: string; wallMs: number };

const TAIL = 1500;

function lastLines(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > TAIL ? `…${trimmed.slice(-TAIL)}` : trimmed;
}

export function runChild(command: string, args: string[], timeoutMs: number): Promise<Sample> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4 * TAIL);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (error: string | undefined) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      const lines = stdout.split('\n');
      const line = lines.find((l) => l.startsWith(RESULT_MARKER));
      const teardown = lines.find((l) => l.startsWith(TEARDOWN_MARKER));
      if (line !== undefined) {
        // The measurement is complete; what went wrong after it is about stopping the pool.
        try {
          const result = JSON.parse(line.slice(RESULT_MARKER.length)) as ChildResult;
          const teardownError = teardown?.slice(TEARDOWN_MARKER.length) ?? error;
          resolve(
            teardownError === undefined
              ? { ok: true, result, wallMs }
              : { ok: true, result, wallMs, teardownError },
          );
          return;
        } catch (e) {
          error = `unreadable result: ${String(e)}`;
        }
      }
      resolve({ ok: false, error: error ?? 'no result printed', wallMs });
    };
    child.on('error', (e) => finish(`cannot start ${command}: ${e.message}`));
    child.on('close', (code, signal) => {
      if (timedOut) finish(`timed out after ${timeoutMs / 1000} s (killed)`);
      else if (code !== 0) {
        const how = signal ? `killed by ${signal}` : `exit code ${code}`;
        finish(`${how}${stderr ? `: ${lastLines(stderr)}` : ''}`);
      } else finish(undefined);
    });
  });
}
