/**
 * The `spindle` command. `spindle worker --redis URL --queue NAME --modules ./dist/tasks.js …`
 * serves a queue (serve.ts) until SIGINT or SIGTERM, then stops gracefully; a second signal stops
 * it at once. Bad arguments, a missing module, an unreachable Redis: a message and exit code 1
 * (2 for usage errors).
 */
import { parseArgs } from 'node:util';
import { serve } from './serve.js';

const USAGE = `Usage: spindle worker --redis URL --queue NAME --modules FILE_OR_PACKAGE [more…]
                      [--workers N] [--threads N] [--root DIR] [--allow-inline] [--grace MS]

Serves the tasks that pools with backend: redis({ url, queue }) send to the queue, on a local
spindle pool of N task slots. Stops gracefully on SIGINT or SIGTERM.

  --redis URL          redis://[user:password@]host[:port][/db] (or rediss:// for TLS)
  --queue NAME         the queue (letters, digits, _ - .)
  --modules …          the task modules this worker runs (paths, or package names)
  --workers N          task slots (default: the number of cores)
  --threads N          worker threads carrying them (default: min(workers, cores))
  --root DIR           module paths are named relative to it, as the clients' root (default: .)
  --allow-inline       run inline functions sent by clients (anyone who can write to the queue
                       then runs code here)
  --grace MS           how long a stop waits for running tasks (default 10000)
  --lock-ms MS         a dead worker's jobs go back to the queue after about this (default 10000)
  --connect-timeout MS how long the first connection to Redis may take (default 10000)`;

class UsageError extends Error {}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n))
    throw new UsageError(`--${name} expects an integer, got ${JSON.stringify(value)}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'worker') throw new UsageError(`Unknown command ${JSON.stringify(command)}`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      redis: { type: 'string' },
      queue: { type: 'string' },
      modules: { type: 'string', multiple: true },
      workers: { type: 'string' },
      threads: { type: 'string' },
      root: { type: 'string' },
      'allow-inline': { type: 'boolean' },
      grace: { type: 'string' },
      'lock-ms': { type: 'string' },
      'connect-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // `--modules a.js b.js`: the words after --modules that are not options are modules too.
  const modules = [...(values.modules ?? []), ...positionals];
  if (values.redis === undefined) throw new UsageError('--redis URL is required');
  if (values.queue === undefined) throw new UsageError('--queue NAME is required');
  if (modules.length === 0)
    throw new UsageError('--modules is required: the task modules this worker runs');
  const lockDuration = integer('lock-ms', values['lock-ms']);
  const server = await serve({
    url: values.redis,
    queue: values.queue,
    modules,
    workers: integer('workers', values.workers),
    threads: integer('threads', values.threads),
    root: values.root,
    allowInline: values['allow-inline'] ?? false,
    grace: integer('grace', values.grace),
    connectTimeout: integer('connect-timeout', values['connect-timeout']),
    lockDuration,
    stalledInterval:
      lockDuration === undefined ? undefined : Math.max(100, Math.floor(lockDuration / 2)),
  });
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`spindle worker: ${signal} again, stopping now\n`);
        process.exit(130);
      }
      stopping = true;
      process.stdout.write(`spindle worker: ${signal}, finishing the running tasks\n`);
      server.close().then(resolve, (error: unknown) => {
        process.stderr.write(`spindle worker: ${String(error)}\n`);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.stdout.write('spindle worker: stopped\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage =
      error instanceof UsageError ||
      (error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`spindle: ${error instanceof Error ? error.message : String(error)}\n`);
    if (usage) process.stderr.write(`${USAGE}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
