// spindle's demo (`npm start`): a short tour of Python's ThreadPool on Node.js worker threads.
// 1,024 HTTP requests to a local server that answers like a distant one, the guide's port scanner
// (127.0.0.1 only), a CPU-bound map on 1, 2, 4… cores, and imapUnordered with progress.
import { availableParallelism, loadavg } from 'node:os';
import cliProgress from 'cli-progress';
import { fromModule, ThreadPool } from 'spindle';
import { fib, getItem, testPortNumber } from './lib/demo-tasks.js';
import { HOST, openListeners } from './lib/loopback.js';
import { delayOf, MAX_DELAY_MS, MIN_DELAY_MS, openSlowServer } from './lib/slow-server.js';

// the same functions, as references that run in the pool's threads
const tasks = fromModule<typeof import('./lib/demo-tasks.js')>(
  new URL('./lib/demo-tasks.js', import.meta.url),
);

const cores = availableParallelism();
const tourStart = performance.now();
const seconds = (start: number) => (performance.now() - start) / 1000;
const speedUp = (serial: number, pooled: number) => `speed-up ${(serial / pooled).toFixed(1)}x`;
/** One line of results: a label, a time, and notes. */
const row = (label: string, time: number, ...notes: string[]) =>
  console.log(
    `   ${label.padEnd(36)}${time.toFixed(2).padStart(6)} s   ${notes.join('   ')}`.trimEnd(),
  );

console.log(`spindle demo: Python's ThreadPool on Node.js ${process.version}, ${cores} cores`);
console.log('(a pool starts its threads on first use: each pool below runs twice, cold then warm)');
// Other processes' work shares the cores: say so when there is much of it (0 where unknown).
const [load = 0] = loadavg();
const busy = load >= cores / 2;
if (busy) {
  console.log(
    `(the machine is busy: load average ${load.toFixed(1)} on ${cores} cores, so every time ` +
      'below is longer than it\n would be on an idle machine)',
  );
}

// 1. What the pool is for: many tasks that wait on the network, all waiting at once
{
  const count = 1024;
  const server = await openSlowServer();
  const requests = Array.from({ length: count }, (_, id): [string, number, number] => [
    server.host,
    server.port,
    id,
  ]);
  console.log(
    `\n1. Network I/O: ${count} requests to a local server that answers each after ` +
      `${MIN_DELAY_MS}-${MAX_DELAY_MS} ms,\n   as a distant one does`,
  );

  let start = performance.now();
  await getItem(...requests[0]!);
  row('one request', seconds(start));

  // One by one, all 1,024 would take a minute: time a sample of them, and scale that time by how
  // much longer the server makes all of them wait than the sample.
  const sample = requests.filter((_, id) => id % 64 === 0);
  start = performance.now();
  for (const request of sample) await getItem(...request);
  const sampled = seconds(start);
  const waits = (ids: number[]) => ids.reduce((sum, id) => sum + delayOf(id), 0);
  const serial =
    (sampled * waits(requests.map(([, , id]) => id))) / waits(sample.map(([, , id]) => id));
  row(
    `serial, one at a time (${sample.length} timed)`,
    sampled,
    `all ${count}: ~${serial.toFixed(1)} s`,
  );

  {
    await using pool = new ThreadPool(count);
    for (const label of [`new ThreadPool(${count}) + starmap`, 'the same pool again']) {
      start = performance.now();
      const items = await pool.starmap(tasks.getItem, requests);
      const pooled = seconds(start);
      const same = items.every((item, id) => item.id === id);
      const about = `speed-up ~${Math.round(serial / pooled)}x`;
      row(label, pooled, about, same ? '' : 'RESULTS DIFFER');
    }
    console.log(
      `   (${count} requests at once: the longest wait (${MAX_DELAY_MS} ms), plus the CPU time of ` +
        `${count} connections,\n    on ${pool.threads} threads: a task that waits on the network ` +
        'holds a task slot, not a thread)',
    );
  }
  await server.close();
}

// The guide's port scanner, on listeners of our own
{
  const listeners = await openListeners();
  const { ports } = listeners;
  const args = ports.map((port): [string, number] => [HOST, port]);
  const range = `${ports[0]}-${ports[ports.length - 1]}`;
  console.log(`\n   The guide's port scanner: ${ports.length} ports of ${HOST} (${range})`);

  let start = performance.now();
  const serialOpen: number[] = [];
  for (const [host, port] of args) {
    if (await testPortNumber(host, port)) serialOpen.push(port);
  }
  const serial = seconds(start);
  row('serial, one port at a time', serial, `open: ${serialOpen.join(', ')}`);

  {
    await using pool = new ThreadPool(ports.length);
    for (const label of [`new ThreadPool(${ports.length}) + starmap`, 'the same pool again']) {
      start = performance.now();
      const results = await pool.starmap(tasks.testPortNumber, args);
      const pooled = seconds(start);
      const open = ports.filter((_, i) => results[i]);
      row(label, pooled, `open: ${open.join(', ')}`, speedUp(serial, pooled));
    }
  }
  console.log(
    "   (a refused connect on loopback waits for nothing, so there is little to overlap; the guide's\n" +
      '    scan of python.org, where every connect waits for the network, took 235.8 s one by one\n' +
      '    and 3.1 s with ThreadPool(1024), as the requests above do)',
  );
  await listeners.close();
}

// 2. A CPU-bound map: the same work on 1, 2, 4… cores
{
  const n = 30;
  const count = 32;
  const inputs = Array.from({ length: count }, () => n);
  const sizes = [...new Set([1, 2, 4, 8, 16, 32, 64, 128].filter((k) => k < cores)).add(cores)];
  console.log(`\n2. CPU-bound map: fib(${n}) x ${count}, on 1 to ${cores} cores (best of 2 runs)`);
  if (busy) {
    console.log(
      '   (other processes hold much of the cores now: the speed-ups below are what they leave)',
    );
  }
  /** The shorter time of two runs: a run slowed by another process tells little. */
  const bestOfTwo = async (work: () => unknown) => {
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 2; run++) {
      const start = performance.now();
      await work();
      best = Math.min(best, seconds(start));
    }
    return best;
  };

  const expected = inputs.map(fib);
  const serial = await bestOfTwo(() => inputs.map(fib));
  row('serial, main thread', serial);

  for (const size of sizes) {
    await using pool = new ThreadPool(size);
    // start every thread first, so that the timing is of the work alone
    await pool.map(
      tasks.fib,
      Array.from({ length: size }, () => 1),
      1,
    );
    let same = true;
    const pooled = await bestOfTwo(async () => {
      const results = await pool.map(tasks.fib, inputs);
      same &&= results.every((value, i) => value === expected[i]);
    });
    const label = `new ThreadPool(${size}) + map`;
    row(label, pooled, speedUp(serial, pooled), `(ideal ${size}x)`, same ? '' : 'RESULTS DIFFER');
  }
}

// 3. imapUnordered: results as they complete, with a progress bar
{
  const total = 300;
  const workers = 50;
  const jobs = Array.from({ length: total }, (_, id): [number, number] => [
    id,
    50 + Math.floor(Math.random() * 400),
  ]);
  console.log(
    `\n3. imapUnordered: ${total} I/O-bound tasks of 50-450 ms, new ThreadPool(${workers})`,
  );

  const start = performance.now();
  const seen = new Set<number>();
  {
    await using pool = new ThreadPool(workers);
    const results = pool.imapUnordered(tasks.fetchItem, jobs);
    if (process.stdout.isTTY) {
      const bar = new cliProgress.SingleBar(
        { format: '   {bar} {percentage}% | {value}/{total} tasks | {duration_formatted}' },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      for await (const id of results) {
        seen.add(id);
        bar.increment();
      }
      bar.stop();
    } else {
      for await (const id of results) {
        seen.add(id);
        if (seen.size % 60 === 0) {
          console.log(`   ${seen.size}/${total} tasks done (${seconds(start).toFixed(2)} s)`);
        }
      }
    }
  }
  const elapsed = seconds(start);
  const serial = jobs.reduce((sum, [, ms]) => sum + ms, 0) / 1000;
  row(`${seen.size} results, as they completed`, elapsed, speedUp(serial, elapsed));
  row('one at a time (sum of the waits)', serial);
}

// 4. What a pool saw: pool.stats() and its thread events
{
  const workers = 8;
  console.log(
    `\n4. Cancelling, time limits and pool.stats(): new ThreadPool({ workers: ${workers}, maxTasksPerThread: 40,\n   abortGrace: 1000, timings: true })`,
  );
  /** How a call ended, and after how long. */
  const outcome = async (call: Promise<unknown>): Promise<string> => {
    const start = performance.now();
    const how = await call.then(
      () => 'resolved',
      (error: Error) => error.name,
    );
    return `${how} after ${seconds(start).toFixed(2)} s`;
  };
  const controlRows: [string, string][] = [];
  const exits = new Map<string, number>();
  const statsRows: [string, string][] = [];
  {
    await using pool = new ThreadPool({
      workers,
      maxTasksPerThread: 40,
      abortGrace: 1000,
      timings: true,
    });
    pool.on('threadExit', ({ reason }) => exits.set(reason, (exits.get(reason) ?? 0) + 1));
    const waits = Array.from({ length: 100 }, (_, id): [number, number] => [
      id,
      10 + (id % 9) * 10,
    ]);
    const endless = (): number => {
      for (;;) {}
    };
    await Promise.all([
      // A call that would wait a minute, cancelled by its signal: it never holds the caller up,
      // and the task, which watches its signal(), stops at once.
      outcome(
        pool.apply(tasks.waitUnlessCancelled, [60_000], { signal: AbortSignal.timeout(100) }),
      ).then((how) =>
        controlRows.push(['cancelled', `a 60 s wait, signal: AbortSignal.timeout(100): ${how}`]),
      ),
      pool.map(tasks.fetchItem, waits, 1),
      pool.map(tasks.fib, new Array<number>(12).fill(24), 1),
      pool
        .apply(() => {
          throw new Error('a task that fails');
        })
        .catch(() => {}),
    ]);
    // A synchronous endless loop, stopped by its time limit: its thread is replaced. Alone, since
    // tasks running beside it on that thread would fail with it (WorkerExitError).
    const stopped = new Promise<void>((resolve) => {
      pool.on('threadExit', ({ reason }) => reason === 'abort' && resolve());
    });
    await outcome(pool.apply(endless, [], { timeout: 100 })).then((how) =>
      controlRows.push(['time limit', `an endless loop, timeout: 100: ${how}`]),
    );
    // The call rejected at once; its thread is stopped once abortGrace (1 s) has passed.
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    const s = pool.stats();
    const ms = (t: ReturnType<ThreadPool['stats']>['runTime']) =>
      t ? [t.min, t.p50, t.p90, t.p99, t.max].map((v) => v.toFixed(1).padStart(7)).join('') : '';
    statsRows.push(
      [
        'calls',
        `completed ${s.completed}, failed ${s.failed}, cancelled ${s.cancelled}, queued ${s.queued}, running ${s.running}`,
      ],
      [
        'threads',
        `live ${s.threads.live}, started ${s.threads.started}, replaced ${s.threads.replaced}`,
      ],
      [
        'utilization',
        `${((s.utilization ?? 0) * 100).toFixed(0)}% of ${workers} task slots since creation`,
      ],
      [
        '',
        `${'min'.padStart(7)}${'p50'.padStart(7)}${'p90'.padStart(7)}${'p99'.padStart(7)}${'max'.padStart(7)}  ms`,
      ],
      ['runTime', `${ms(s.runTime)}  (${s.runTime?.count} tasks)`],
      ['waitTime', `${ms(s.waitTime)}`],
    );
  }
  for (const [label, text] of [...controlRows.sort(), ...statsRows]) {
    console.log(`   ${label.padEnd(12)}${text}`);
  }
  const reasons = [...exits].map(([reason, n]) => `${reason} ${n}`).join(', ');
  console.log(`   ${'threadExit'.padEnd(12)}${reasons}`);
}

console.log(`\nTour done in ${seconds(tourStart).toFixed(2)} s.`);
