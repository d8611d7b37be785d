// What every program of examples/ must print, and how to run it as a child process, so that no
// example can rot: examples.test.ts runs them under tsx (`node --import tsx examples/x.ts`, as a
// user runs them), examples-alone.test.ts the port scanners and the demo (they listen on ports and
// measure times), examples-plain.test.ts a few compiled to plain JavaScript against dist/.
// Three files, so that each stays well within the test runner's time limit on a loaded machine.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const examplesDir = join(root, 'examples');

/** A line of output: exactly this text, or a line the whole of which matches this pattern. */
type Line = string | RegExp;

export interface Example {
  /** File name in examples/, without the extension. */
  name: string;
  /** The lines printed on stdout. */
  stdout: Line[];
  /** 'exact': these lines in this order; 'any': these lines in any order; 'subsequence': these
   * lines in this order, other lines allowed between them. */
  order?: 'exact' | 'any' | 'subsequence';
  exitCode?: number;
  /** Patterns stderr must contain; when absent, stderr must be empty. */
  stderr?: RegExp[];
  /** More checks on the stdout lines. */
  check?: (lines: string[]) => void;
  /** Hard limit in ms (the child is killed after it). */
  timeout?: number;
  /** Also run compiled to plain JavaScript against dist/. */
  plain?: boolean;
  /** Runs alone (port scanners and the demo: they listen on ports and measure times). */
  alone?: boolean;
}

const float = String.raw`(?:0|0\.\d+|\d(?:\.\d+)?e-\d+)`;
const tuple = (value: number | string, prefix = '>got') =>
  new RegExp(String.raw`^${prefix} \(${value}, ${float}\)$`);
const range = (n: number) => [...Array(n).keys()];
const seconds = String.raw`\d+\.\d\d`;

/** A result line of the demo: a label, a time in seconds, notes. */
const demoRow = (label: string, ...notes: string[]) =>
  new RegExp(`^   ${label} +${seconds} s${notes.map((note) => `   ${note}`).join('')}$`);
const openPorts = String.raw`open: \d+(, \d+)*`;
const speedUp = String.raw`speed-up \d+\.\dx`;

/** The open ports a scan printed: must include our two listeners (80/443 or base+80/base+443). */
function checkScan(lines: string[]): void {
  const open = lines
    .map((line) => /^> 127\.0\.0\.1:(\d+) open$/.exec(line)?.[1])
    .filter((port) => port !== undefined)
    .map(Number);
  const ours = open.filter((port) => port % 1024 === 80 && open.includes(port + 363));
  assert.equal(ours.length, 1, `expected our listeners among the open ports, got ${open}`);
}

/**
 * The demo's numbers that must hold on any machine, however busy: 1,024 requests at once take far
 * less than one at a time, and the CPU-bound map has a row for 1, 2, 4… up to every core.
 */
function checkDemo(lines: string[]): void {
  const serial = Number(/all 1024: ~(\S+) s/.exec(lines.join('\n'))?.[1]);
  const pooled = lines
    .filter((line) =>
      / {3}(new ThreadPool\(1024\) \+ starmap|the same pool again) .*speed-up ~/.test(line),
    )
    .map((line) => Number(/ (\d+\.\d\d) s /.exec(line)?.[1]));
  assert.equal(pooled.length, 2, `the two pooled request rows: ${lines.join('\n')}`);
  // a generous bound: the warm pool's 1,024 requests take a fifth of the serial time at most
  assert.ok(
    pooled[1]! < serial / 5,
    `1024 requests at once took ${pooled[1]} s, serial ~${serial} s`,
  );
  assert.ok(!lines.some((line) => line.includes('RESULTS DIFFER')), lines.join('\n'));
  const cores = availableParallelism();
  const sizes = [...new Set([1, 2, 4, 8, 16, 32, 64, 128].filter((k) => k < cores)).add(cores)];
  const cpuRows = lines
    .map((line) => /^ {3}new ThreadPool\((\d+)\) \+ map .*\(ideal (\d+)x\)$/.exec(line))
    .filter((match) => match !== null && match[1] === match[2])
    .map((match) => Number(match![1]));
  assert.deepEqual(cpuRows, sizes);
}

export const examples: Example[] = [
  {
    name: 'thread-example',
    stdout: ['Waiting for the new thread to finish...', 'This is coming from another thread'],
  },
  {
    name: 'threadpool-class',
    stdout: [
      'map: 100',
      'map: 200',
      'map: 300',
      'applyAsync: 400',
      'await using: 100',
      'await using: 200',
      'await using: 300',
    ],
  },
  {
    name: 'lifecycle',
    plain: true,
    stdout: [
      'apply: 2',
      'map: 2,4,6',
      'starmap: 2,4,6',
      'imap: 2,4,6',
      'imapUnordered: 2,4,6',
      /^(Not Done Yet|All Done)$/,
      'All Done',
      'applyAsync: 2',
      'mapAsync: 2,4,6',
      'starmapAsync: 2,4,6',
      'result: 42',
      'closed and joined, last task: 100',
      'terminated and joined, unfinished task: CancelledError',
    ],
  },
  {
    name: 'lifecycle-context-manager',
    stdout: ['done after 50 ms', 'the slow task was cut short: CancelledError'],
  },
  {
    name: 'port-scanner-serial',
    alone: true,
    order: 'subsequence',
    stdout: ['Scanning 127.0.0.1...', new RegExp(`^Took ${seconds} seconds$`)],
    check: checkScan,
  },
  {
    name: 'port-scanner-concurrent',
    alone: true,
    plain: true,
    order: 'subsequence',
    stdout: [
      'Scanning 127.0.0.1...',
      new RegExp(String.raw`^Concurrent scan \(ThreadPool\(1024\)\): ${seconds} seconds$`),
      new RegExp(String.raw`^Serial scan \(one by one\): ${seconds} seconds, open: \d+(, \d+)*$`),
    ],
    check: checkScan,
  },
  {
    name: 'configure-number-of-workers',
    stdout: [
      /^Logical CPU cores: \d+$/,
      /^ThreadPool\(\) \(\d+ workers\): 8 tasks of 0\.1 seconds took \d+\.\d seconds$/,
      /^ThreadPool\(\{ workers: 4 \}\): 8 tasks of 0\.1 seconds took \d+\.\d seconds$/,
      /^ThreadPool\(8\): 8 tasks of 0\.1 seconds took \d+\.\d seconds$/,
    ],
    check: (lines) => {
      // 8 tasks of 100 ms need at least ceil(8 / workers) rounds of 100 ms
      const took = lines.slice(1).map((line) => Number(/took (\S+) seconds/.exec(line)?.[1]));
      const cores = availableParallelism();
      assert.ok(took[0]! >= Math.ceil(8 / cores) * 0.1 - 0.001, `default pool: ${took[0]}`);
      assert.ok(took[1]! >= 0.2, `4 workers: ${took[1]}`);
      assert.ok(took[2]! >= 0.1, `8 workers: ${took[2]}`);
    },
  },
  {
    name: 'configure-initializer',
    plain: true,
    // the initializer's lines (one per thread started) may come before or between the results
    order: 'subsequence',
    stdout: range(4).map((i) => `task ${i} sees a, b, c`),
    check: (lines) => {
      const inits = lines.filter((line) => line === 'Initializing a worker thread with a, b, c');
      assert.ok(
        inits.length >= 1 && inits.length <= availableParallelism(),
        `${inits.length} initializer runs`,
      );
      assert.equal(lines.length, inits.length + 4, `unexpected lines: ${lines.join('\n')}`);
    },
  },
  // the eight ways to issue tasks
  { name: 'issue-apply', stdout: ['task x3, done in a worker thread'] },
  {
    name: 'issue-apply-async',
    stdout: ['issued, ready: false', 'callback: task done', 'got: task done'],
  },
  {
    name: 'issue-map',
    stdout: [
      ...range(10).map((i) => `${i * i}`),
      'chunksize 5: 0, 1, 4, 9, 16, 25, 36, 49, 64, 81',
    ],
  },
  {
    name: 'issue-map-async',
    stdout: ['tasks issued', 'callback got 10 values', ...range(10).map((i) => `${i * i}`)],
  },
  { name: 'issue-imap', stdout: range(10).map((i) => `${i * i}`) },
  { name: 'issue-imap-unordered', order: 'any', stdout: range(10).map((i) => `${i * i}`) },
  { name: 'issue-starmap', stdout: ['0', '2', '6', '12', '20'] },
  { name: 'issue-starmap-async', stdout: ['tasks issued', '0', '2', '6', '12', '20'] },
  // AsyncResult
  {
    name: 'asyncresult-get',
    stdout: [
      'done after 50 ms',
      'Gave up waiting: TimeoutError',
      'done after 300 ms',
      'Task failed: Something bad happened!',
    ],
  },
  { name: 'asyncresult-wait', stdout: ['Task completed', 'All Done', 'Not Done Yet'] },
  { name: 'asyncresult-ready', stdout: ['Tasks are not done', 'Tasks are done'] },
  {
    name: 'asyncresult-successful',
    stdout: ['Tasks still running', 'Successful', 'Tasks still running', 'Unsuccessful'],
  },
  // callbacks
  { name: 'callback-apply-async', stdout: ['task is done'] },
  { name: 'callback-map-async', stdout: ['0', '10', '20', '30', '40'] },
  { name: 'callback-error', stdout: ['Task 3 failed', 'Task 2 failed'] },
  // the five usage patterns
  {
    name: 'pattern-map-and-iterate',
    plain: true,
    stdout: range(10).map((i) => tuple(i)),
  },
  { name: 'pattern-apply-async-and-forget', stdout: [tuple(1, '>task got')] },
  {
    name: 'pattern-map-async-and-forget',
    order: 'any',
    stdout: range(10).map((i) => tuple(i, '>task got')),
  },
  {
    name: 'pattern-imap-unordered-as-completed',
    order: 'any',
    stdout: range(10).map((i) => tuple(i)),
  },
  { name: 'pattern-imap-unordered-first', stdout: [tuple(String.raw`\d`)] },
  // exception handling
  {
    name: 'exception-in-initializer',
    exitCode: 1,
    stdout: [],
    stderr: [/BrokenPoolError/, /Something bad happened!/],
  },
  { name: 'exception-handled-within-task', stdout: ['Unable to get the result'] },
  { name: 'exception-handled-outside-task-async', stdout: ['Unable to get the result'] },
  { name: 'exception-handled-outside-task-sync', stdout: ['Unable to get the result'] },
  { name: 'exception-check-successful', stdout: ['Unable to get the result'] },
  {
    name: 'exception-in-map',
    exitCode: 1,
    stdout: [],
    stderr: [/^Error: Something bad happened!$/m],
  },
  {
    name: 'exception-in-map-async',
    exitCode: 1,
    stdout: [],
    stderr: [/^Error: Something bad happened!$/m],
  },
  {
    name: 'exception-in-imap',
    plain: true,
    exitCode: 1,
    stdout: ['0', '1'],
    stderr: [/^Error: Something bad happened!$/m],
  },
  {
    name: 'exception-in-callback',
    plain: true,
    stdout: ['Got result 22'],
    stderr: [/Something bad happened!/],
  },
  // the seven common errors
  {
    name: 'error-1-function-call-in-apply-async',
    exitCode: 1,
    stdout: [],
    stderr: [/^TypeError\b/m],
  },
  { name: 'error-2-function-call-in-map', exitCode: 1, stdout: [], stderr: [/^TypeError\b/m] },
  { name: 'error-3-map-without-iterable', exitCode: 1, stdout: [], stderr: [/^TypeError\b/m] },
  { name: 'error-4-callback-signature', stdout: [/^Callback got: .+$/, 'all done'] },
  { name: 'error-5-tasks-fail-silently', plain: true, stdout: [] },
  {
    name: 'error-6-join-while-running',
    exitCode: 1,
    stdout: [],
    stderr: [/^InvalidStateError\b.*Pool is still running/m],
  },
  {
    name: 'error-7-issue-to-closed-pool',
    exitCode: 1,
    stdout: [],
    stderr: [/^InvalidStateError\b.*Pool not running/m],
  },
  // ThreadPool vs ThreadPoolExecutor
  {
    name: 'executor-basics',
    stdout: [
      'map: 100',
      'map: 200',
      'map: 300',
      'submit: 400',
      'await using: 100',
      'await using: 200',
      'await using: 300',
    ],
  },
  {
    name: 'threadpool-vs-executor',
    plain: true,
    stdout: [
      '1. executor: cancel() of a queued task: true, cancelled: true',
      '   executor: first task still gives 5',
      '   ThreadPool: AsyncResult has no cancel(), only terminate() for the whole pool',
      /^2\. executor: wait\(FIRST_COMPLETED\): [12] done, [12] not done$/,
      // in completion order: 1, 2, 3 on a quiet machine; a thread starting late may reorder them
      /^ {3}executor: asCompleted order: (?=.*1)(?=.*2)(?=.*3)[123], [123], [123]$/,
      '3. executor: map: 1, 2, 3',
      '   ThreadPool: map: 1, 2, 3',
      '   ThreadPool: mapAsync: 1, 2, 3',
      '   ThreadPool: starmap: 1, 2, 3',
      '4. executor: exception(): Bad value: -1',
      '   ThreadPool: successful(): false, the error only comes out of get()',
    ],
  },
  // npm start
  {
    name: 'demo',
    alone: true,
    plain: true,
    timeout: 60_000,
    order: 'subsequence',
    stdout: [
      /^spindle demo: Python's ThreadPool on Node\.js v\d+\.\d+\.\d+, \d+ cores$/,
      /^1\. Network I\/O: 1024 requests to a local server that answers each after 30-100 ms,$/,
      '   as a distant one does',
      demoRow('one request'),
      demoRow(String.raw`serial, one at a time \(16 timed\)`, String.raw`all 1024: ~\d+\.\d s`),
      demoRow(String.raw`new ThreadPool\(1024\) \+ starmap`, String.raw`speed-up ~\d+x`),
      demoRow('the same pool again', String.raw`speed-up ~\d+x`),
      /^ {3}The guide's port scanner: 1024 ports of 127\.0\.0\.1 \(\d+-\d+\)$/,
      demoRow('serial, one port at a time', openPorts),
      demoRow(String.raw`new ThreadPool\(1024\) \+ starmap`, openPorts, speedUp),
      demoRow('the same pool again', openPorts, speedUp),
      /^2\. CPU-bound map: fib\(30\) x 32, on 1 to \d+ cores \(best of 2 runs\)$/,
      demoRow('serial, main thread'),
      demoRow(String.raw`new ThreadPool\(1\) \+ map`, speedUp, String.raw`\(ideal 1x\)`),
      /^3\. imapUnordered: 300 I\/O-bound tasks of 50-450 ms, new ThreadPool\(50\)$/,
      new RegExp(String.raw`^   300/300 tasks done \(${seconds} s\)$`),
      demoRow('300 results, as they completed', speedUp),
      demoRow(String.raw`one at a time \(sum of the waits\)`),
      /^4\. Cancelling, time limits and pool\.stats\(\): new ThreadPool\(\{ workers: 8, maxTasksPerThread: 40,$/,
      /^ {3}cancelled {3}a 60 s wait, signal: AbortSignal\.timeout\(100\): TimeoutError after \d+\.\d\d s$/,
      /^ {3}time limit {2}an endless loop, timeout: 100: TimeoutError after \d+\.\d\d s$/,
      /^ {3}calls {7}completed 112, failed 2, cancelled 1, queued 0, running 0$/,
      /^ {3}threads {5}live \d+, started \d+, replaced [1-9]\d*$/,
      /^ {3}threadExit {2}.*\babort 1\b.*$/,
      new RegExp(String.raw`^Tour done in ${seconds} s\.$`),
    ],
    check: checkDemo,
  },
];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string, timeout: number): Promise<Run> {
  const env = { ...process.env };
  // the examples are programs of their own, not parts of this test run
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const matches = (line: string, expected: Line) =>
  typeof expected === 'string' ? line === expected : expected.test(line);

function checkLines(lines: string[], expected: Line[], order: Example['order']): void {
  const show = () => `\n--- got:\n${lines.join('\n')}\n--- expected:\n${expected.join('\n')}`;
  if (order === 'subsequence') {
    let at = 0;
    for (const line of lines) {
      if (at < expected.length && matches(line, expected[at]!)) at++;
    }
    assert.equal(at, expected.length, `line ${at} not found in order${show()}`);
  } else if (order === 'any') {
    assert.equal(lines.length, expected.length, `wrong number of lines${show()}`);
    const left = [...expected];
    for (const line of lines) {
      const i = left.findIndex((e) => matches(line, e));
      assert.ok(i >= 0, `unexpected line ${JSON.stringify(line)}${show()}`);
      left.splice(i, 1);
    }
  } else {
    assert.equal(lines.length, expected.length, `wrong number of lines${show()}`);
    lines.forEach((line, i) => {
      assert.ok(matches(line, expected[i]!), `line ${i + 1}: ${JSON.stringify(line)}${show()}`);
    });
  }
}

export async function runExample(example: Example, args: string[], cwd: string): Promise<void> {
  const timeout = example.timeout ?? 30_000;
  const result = await run(args, cwd, timeout);
  const context = `\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`;
  assert.equal(result.signal, null, `killed after ${timeout} ms${context}`);
  assert.equal(result.code, example.exitCode ?? 0, `exit code${context}`);
  const lines = result.stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  checkLines(lines, example.stdout, example.order ?? 'exact');
  example.check?.(lines);
  if (example.stderr) {
    for (const pattern of example.stderr) {
      assert.match(result.stderr, pattern, `stderr${context}`);
    }
  } else {
    assert.equal(result.stderr, '', `stderr should be empty${context}`);
  }
}

/**
 * Builds dist/ (`npm run build`) when it is missing or older than src/: the examples import
 * 'spindle', which is dist/. (`npm test` builds first; this is for running this file alone.)
 */
export function ensureBuilt(): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
      const path = join(dir, entry.name);
      return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }, 0);
  const dist = join(root, 'dist', 'lib', 'spindle.js');
  if (!existsSync(dist) || statSync(dist).mtimeMs < newest(join(root, 'src'))) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'pipe' });
  }
}

/**
 * Compiles examples/ to plain JavaScript in a temporary directory whose node_modules links
 * `spindle` to this package (so `import 'spindle'` is the built dist/, as for a user) and the
 * examples' other dependencies to ours.
 */
export function compileExamples(): string {
  const out = mkdtempSync(join(tmpdir(), 'spindle-examples-'));
  writeFileSync(join(out, 'package.json'), '{ "type": "module", "private": true }\n');
  mkdirSync(join(out, 'node_modules'));
  symlinkSync(root, join(out, 'node_modules', 'spindle'), 'dir');
  symlinkSync(
    join(root, 'node_modules', 'cli-progress'),
    join(out, 'node_modules', 'cli-progress'),
    'dir',
  );
  const compile = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        compile(path);
      } else if (entry.name.endsWith('.ts')) {
        const target = join(out, 'examples', relative(examplesDir, path)).replace(/\.ts$/, '.js');
        const { outputText } = ts.transpileModule(readFileSync(path, 'utf8'), {
          fileName: path,
          compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
        });
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, outputText);
      }
    }
  };
  compile(examplesDir);
  return out;
}
