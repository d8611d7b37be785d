// examples/distributed/main.ts, run as its header says: a real Redis, two `spindle worker`
// processes serving its TypeScript task module under tsx, and the program itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { queueName, RedisServer, redisAvailable, root, WorkerProcess } from './harness.js';

const available = redisAvailable();

describe('examples/distributed', { skip: !available }, () => {
  let server: RedisServer;
  const workers: WorkerProcess[] = [];
  const queue = queueName('example');

  before(async () => {
    server = await RedisServer.start();
    const args = [
      '--workers',
      '64',
      '--threads',
      '1',
      '--modules',
      './examples/distributed/tasks.ts',
    ];
    for (let i = 0; i < 2; i++) {
      workers.push(
        await WorkerProcess.start(server.url, queue, args, ['--import', 'tsx'], {
          defaultModules: false,
        }),
      );
    }
  });

  after(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGTERM')));
    await server?.stop();
  });

  it('scans the ports and counts the primes on the workers', { timeout: 60_000 }, () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/distributed/main.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 50_000,
      env: { ...process.env, REDIS_URL: server.url, SPINDLE_QUEUE: queue, NODE_OPTIONS: '' },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), [
      'Port A is open',
      'Port B is open',
      'Primes below 2,000,000: 148933',
    ]);
    assert.equal(run.stderr, '');
  });
});
