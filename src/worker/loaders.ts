/**
 * Threads inherit the process's `--import` options, so a TypeScript loader given that way is
 * loaded in each thread too. tsx, though, only installs its hooks on the main thread on Node
 * versions before `worker_threads.isInternalThread` existed (Node 20): there, a thread of a
 * program run with `node --import tsx` could not import a `.ts` task module. Install tsx's hooks
 * in the thread ourselves in that one case.
 */
import * as workerThreads from 'node:worker_threads';

function importsTsx(execArgv: readonly string[]): boolean {
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    const value =
      arg === '--import' ? execArgv[i + 1] : arg.startsWith('--import=') ? arg.slice(9) : undefined;
    if (value === 'tsx' || value === 'tsx/esm') return true;
  }
  return false;
}

export async function inheritTypeScriptLoader(): Promise<void> {
  if ('isInternalThread' in workerThreads || !importsTsx(process.execArgv)) return;
  try {
    const api = (await import('tsx/esm/api' as string)) as { register?: () => unknown };
    api.register?.();
  } catch {
    // tsx is not resolvable from here: task modules in TypeScript will say so when imported.
  }
}
