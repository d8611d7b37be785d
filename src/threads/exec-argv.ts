/**
 * The Node options a worker thread starts with, and whether the process runs under tsx.
 */
import { isTsx, preloads, processTsxApi } from '../run/typescript-loader.js';

/**
 * Threads inherit the process's Node options (so a TypeScript loader given with `--import`
 * applies in them too), except those that only make sense for the main script: `node -e` and
 * `--input-type` would stop a thread from loading its entry file at all. `undefined` means
 * "inherit as Node does", which is also the only way V8 flags such as `--max-old-space-size`
 * are accepted (listed explicitly, Node refuses them).
 */
let threadExecArgv: string[] | undefined | null = null;

function scriptOnly(arg: string): boolean {
  return (
    arg.startsWith('--eval=') ||
    arg.startsWith('--print=') ||
    arg.startsWith('--input-type=') ||
    arg === '-i' ||
    arg === '--interactive' ||
    arg === '--test' ||
    arg.startsWith('--test-') ||
    arg.startsWith('--watch')
  );
}

/**
 * The tsx the process runs under (its `tsx/esm/api`, as a URL), which threads register only
 * when they first import a task module: `null` if it runs under no tsx, `undefined` until known.
 */
let tsxApi: string | null | undefined;

/**
 * The tsx a thread should register before importing a task module: the one the process runs
 * under, given in its options (`node --import tsx`, the `tsx` command) or in `NODE_OPTIONS`. A
 * thread would not get it otherwise: tsx installs no hooks in a worker thread at start-up.
 */
export function tsxForThreads(): string | null {
  tsxApi ??= processTsxApi() ?? null;
  return tsxApi;
}

export function execArgvForThreads(): string[] | undefined {
  if (threadExecArgv !== null) return threadExecArgv;
  const argv = process.execArgv;
  // tsx is left out: loading it costs a thread most of a second, and most never need it.
  const skipped = new Set<number>();
  for (const { index, count, value } of preloads(argv)) {
    if (isTsx(value)) for (let k = 0; k < count; k++) skipped.add(index + k);
  }
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (skipped.has(i)) continue;
    if (
      arg === '-e' ||
      arg === '--eval' ||
      arg === '-p' ||
      arg === '--print' ||
      arg === '--input-type'
    ) {
      i++; // The option's value goes too.
    } else if (!scriptOnly(arg)) {
      kept.push(arg);
    }
  }
  threadExecArgv = kept.length === argv.length ? undefined : kept;
  return threadExecArgv;
}

/** Drops the flags Node names as invalid for a Worker ("…flags: --a, --b") and remembers that. */
export function withoutInvalidFlags(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || !threadExecArgv) return false;
  const named = /flags: (.*)$/.exec((error as Error).message)?.[1]?.split(', ') ?? [];
  const before = threadExecArgv.length;
  threadExecArgv = threadExecArgv.filter((arg) => !named.includes(arg));
  return threadExecArgv.length < before;
}
