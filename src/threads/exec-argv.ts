/**
 * The Node options a worker thread starts with, and whether the process runs under tsx.
 */

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

/** Whether the process runs under `--import tsx`, which threads then load only when they need it. */
let underTsx = false;

/** Whether the process runs under `--import tsx` (known once execArgvForThreads() has run). */
export function runsUnderTsx(): boolean {
  execArgvForThreads();
  return underTsx;
}

function isTsx(value: string | undefined): boolean {
  return value === 'tsx' || value === 'tsx/esm';
}

export function execArgvForThreads(): string[] | undefined {
  if (threadExecArgv !== null) return threadExecArgv;
  const argv = process.execArgv;
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (
      arg === '-e' ||
      arg === '--eval' ||
      arg === '-p' ||
      arg === '--print' ||
      arg === '--input-type'
    ) {
      i++; // The option's value goes too.
    } else if (arg === '--import' && isTsx(argv[i + 1])) {
      underTsx = true;
      i++;
    } else if (arg.startsWith('--import=') && isTsx(arg.slice(9))) {
      underTsx = true;
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
