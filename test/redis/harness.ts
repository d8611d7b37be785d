// A real Redis and real `spindle worker` processes for the redis tests: redis-server on a free
// port of 127.0.0.1, persistence off, in a temporary directory; workers started from the built
// command (dist/lib/cli.js) as a user starts them. No mocks of Redis or BullMQ.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delay } from '../helpers.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = join(root, 'dist', 'lib', 'cli.js');
/** The task module the workers serve, as `--modules` names it (relative to the repository). */
export const TASKS = './test/fixtures/remote-tasks.mjs';
export const tasksUrl = new URL('../fixtures/remote-tasks.mjs', import.meta.url);

/**
 * Whether redis-server can run here. Missing: one loud line and the suite is skipped, except under
 * CI (CI=true), where it fails (`.ci/run` installs it).
 */
export function redisAvailable(): boolean {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (!found.error && found.status === 0) return true;
  if (process.env.CI === 'true') {
    throw new Error('redis-server is not installed (apt-get install -y redis-server): CI needs it');
  }
  console.error(
    '### redis-server is not installed: the spindle/redis tests are SKIPPED (apt-get install -y redis-server)',
  );
  return false;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class RedisServer {
  readonly port: number;
  readonly url: string;
  readonly #dir = mkdtempSync(join(tmpdir(), 'spindle-redis-'));
  #process: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.#spawn();
    return server;
  }

  async #spawn(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.#dir,
      ],
      { stdio: 'ignore' },
    );
    track(child);
    this.#process = child;
    for (let i = 0; i < 200; i++) {
      if (await canConnect(this.port)) return;
      if (child.exitCode !== null)
        throw new Error(`redis-server exited with code ${child.exitCode}`);
      await delay(25);
    }
    throw new Error(`redis-server did not listen on port ${this.port} within 5 s`);
  }

  /** Stops it at once (SIGKILL: nothing saved, as a crash) and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** A crash and a restart on the same port, empty (persistence is off). */
  async restart(downMs = 300): Promise<void> {
    await this.kill();
    await delay(downMs);
    await this.#spawn();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

export class WorkerProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], nodeArgs: string[] = [], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [...nodeArgs, cli, 'worker', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', ...env },
    });
    track(this.child);
    const take = (chunk: Buffer): void => {
      this.output += chunk.toString();
    };
    this.child.stdout?.on('data', take);
    this.child.stderr?.on('data', take);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Starts one serving `queue` and waits until it says so. */
  static async start(
    url: string,
    queue: string,
    extra: string[] = [],
    nodeArgs: string[] = [],
    {
      defaultModules = true,
      env = {},
    }: { defaultModules?: boolean; env?: Record<string, string> } = {},
  ): Promise<WorkerProcess> {
    const modules = defaultModules ? ['--modules', TASKS] : [];
    const worker = new WorkerProcess(
      ['--redis', url, '--queue', queue, ...modules, '--lock-ms', '2000', ...extra],
      nodeArgs,
      env,
    );
    for (let i = 0; i < 600; i++) {
      if (worker.output.includes('serving queue')) return worker;
      if (worker.child.exitCode !== null) break;
      await delay(25);
    }
    worker.child.kill('SIGKILL');
    throw new Error(`spindle worker did not start:\n${worker.output}`);
  }

  /** Stops it (SIGKILL unless told otherwise) and waits for its exit. */
  async stop(
    signal: NodeJS.Signals = 'SIGKILL',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Runs the `spindle` command to its end: its exit code and what it wrote. */
export function runCli(
  args: string[],
  timeout = 20_000,
): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Every redis-server and worker started: none outlives the test process, however it ends. */
const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});
function track(child: ChildProcess): void {
  started.add(child);
  child.once('exit', () => started.delete(child));
}

let queues = 0;
/** A queue name of its own for each test, so that no test sees another's jobs. */
export function queueName(what: string): string {
  return `t${process.pid}-${queues++}-${what}`;
}
