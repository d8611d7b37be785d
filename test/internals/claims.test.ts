// The claims protocol on its own: both halves over one plain Int32Array, driven step by step by
// the test, so that each interleaving the comments of claims.ts name is played out exactly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Fifo } from '../../src/engine/fifo.js';
import { SeqTable } from '../../src/engine/seq-table.js';
import {
  dropRevoked,
  MAX_SEQ,
  MainClaims,
  REVOKE_FLAG,
  ThreadClaims,
} from '../../src/protocol/claims.js';
import { CLAIMED, CONTROL_WORDS, REVOKED_UP_TO } from '../../src/protocol/control-words.js';
import {
  decodeRunBatch,
  encodeRunBatch,
  type ReceivedTask,
  type RunMessage,
} from '../../src/protocol/run-batch.js';

interface FakeTask {
  seq: number;
  pinned: boolean;
}

/** One thread as both sides see it: the main thread's outstanding tasks, the thread's queue. */
class Pair {
  readonly words = new Int32Array(CONTROL_WORDS);
  /** Runs once inside the main thread's next take-back, between its reads and its swaps. */
  during: (() => void) | null = null;
  readonly main = new MainClaims<FakeTask>(this.words, (task) => {
    const during = this.during;
    this.during = null;
    during?.();
    return task.pinned;
  });
  readonly thread = new ThreadClaims(this.words);
  readonly outstanding = new SeqTable<FakeTask>();
  lastSent = 0;
  /** Sent, not yet read by the thread. */
  readonly inFlight: RunMessage[] = [];
  readonly queue = new Fifo<ReceivedTask>();
  readonly started: number[] = [];
  readonly takenBack: number[] = [];

  constructor(firstSeq = 1) {
    this.lastSent = firstSeq - 1;
  }

  send(count: number, pinned: (seq: number) => boolean = () => false): void {
    const first = this.lastSent + 1;
    const tasks = Array.from({ length: count }, (_, i) => ({
      record: { id: 1 },
      mode: 0 as const,
      flags: 0,
      payload: [first + i],
    }));
    this.inFlight.push(encodeRunBatch(tasks, first)[0]);
    for (let seq = first; seq < first + count; seq++) {
      this.outstanding.set(seq, { seq, pinned: pinned(seq) });
    }
    this.lastSent += count;
  }

  /** The thread reads the oldest batch on its port. */
  deliver(): boolean {
    const message = this.inFlight.shift();
    if (!message) return false;
    decodeRunBatch(message, this.thread.droppedUpTo, this.queue);
    return true;
  }

  /** The thread starts its next queued task, as its task loop does; returns its seq, or 0. */
  start(): number {
    while (this.queue.length > 0) {
      const task = this.queue.peek() as ReceivedTask;
      if (!this.thread.claim(task.seq)) {
        dropRevoked(this.queue, this.thread.acceptRevocation());
        continue;
      }
      this.queue.shift();
      this.started.push(task.seq);
      return task.seq;
    }
    return 0;
  }

  /** The main thread takes back what has not started. */
  revoke(): number[] {
    const taken = this.main.revoke(this.outstanding, this.lastSent);
    for (const task of taken) this.outstanding.delete(task.seq);
    const seqs = taken.map((t) => t.seq);
    this.takenBack.push(...seqs);
    return seqs;
  }

  /** A started task's result arrives. */
  finish(seq: number): void {
    assert.ok(this.main.hasStarted(seq));
    this.outstanding.delete(seq);
  }

  check(): void {
    const started = new Set(this.started);
    assert.equal(started.size, this.started.length, 'a task started twice');
    for (const seq of this.takenBack)
      assert.ok(!started.has(seq), `task ${seq} started and taken back`);
    assert.equal(new Set(this.takenBack).size, this.takenBack.length, 'a task taken back twice');
    for (const seq of started) assert.ok(this.main.hasStarted(seq));
    const first = this.firstSeq;
    let neither = 0;
    for (let seq = first; seq <= this.lastSent; seq++) {
      if (!started.has(seq) && !this.takenBack.includes(seq)) neither++;
    }
    assert.equal(this.main.unstarted(this.lastSent), neither);
  }

  firstSeq = 1;
}

describe('claims', () => {
  test('claim then revoke: what started stays, the rest comes back', () => {
    const p = new Pair();
    p.send(3);
    p.deliver();
    assert.equal(p.start(), 1);
    assert.equal(p.main.running(p.outstanding), 1);
    assert.deepEqual(p.revoke(), [2, 3]);
    assert.equal(p.words[CLAIMED], 1 | REVOKE_FLAG);
    assert.equal(p.main.unstarted(p.lastSent), 0);
    assert.equal(p.start(), 0, 'the next claim fails and the thread drops 2 and 3');
    assert.equal(p.words[CLAIMED], 1);
    assert.equal(p.words[REVOKED_UP_TO], 0);
    assert.equal(p.thread.droppedUpTo, 3);
    p.check();
  });

  test('revoke then claim: nothing starts', () => {
    const p = new Pair();
    p.send(3);
    p.deliver();
    assert.deepEqual(p.revoke(), [1, 2, 3]);
    assert.equal(p.start(), 0);
    p.send(1);
    p.deliver();
    assert.equal(p.start(), 4, 'claims succeed again once the take-back is seen');
    p.check();
  });

  test('a batch read after its tasks were taken back is dropped unread', () => {
    const p = new Pair();
    p.send(2);
    p.deliver();
    p.send(2);
    assert.equal(p.start(), 1);
    assert.deepEqual(p.revoke(), [2, 3, 4]);
    assert.equal(p.start(), 0);
    p.deliver();
    assert.equal(p.queue.length, 0);
    p.check();
  });

  test('revoke while the flag is set extends the take-back', () => {
    const p = new Pair();
    p.send(2);
    p.deliver();
    assert.equal(p.start(), 1);
    assert.deepEqual(p.revoke(), [2]);
    p.send(2);
    assert.deepEqual(p.revoke(), [3, 4], 'the thread is busy: the pending take-back grows');
    assert.equal(p.words[REVOKED_UP_TO], 4);
    p.deliver();
    assert.equal(p.start(), 0);
    assert.equal(p.thread.droppedUpTo, 4);
    p.check();
  });

  test('no extension once the thread has begun to handle the flag', () => {
    const p = new Pair();
    p.send(2);
    p.deliver();
    p.start();
    assert.deepEqual(p.revoke(), [2]);
    p.send(1);
    // The thread's first step of acceptRevocation (the exchange) happens, not yet the rest.
    const upTo = Atomics.exchange(p.words, REVOKED_UP_TO, 0);
    assert.equal(upTo, 2);
    assert.deepEqual(p.revoke(), []);
    assert.equal(p.main.unstarted(p.lastSent), 1);
    // The thread goes on (the test puts the word back for ThreadClaims to take it again).
    Atomics.store(p.words, REVOKED_UP_TO, upTo);
    p.deliver();
    assert.equal(p.start(), 3, 'task 3 was never taken: it runs here');
  });

  test('revoke racing a claim: the swap fails, the take-back starts after the new claim', () => {
    const p = new Pair();
    p.send(4);
    p.deliver();
    // The thread claims task 1 after the main thread read CLAIMED, before it swaps.
    p.during = () => assert.equal(p.start(), 1);
    assert.deepEqual(p.revoke(), [2, 3, 4]);
    p.check();
  });

  test('revoke racing the claim of the last task takes nothing', () => {
    const p = new Pair();
    p.send(2);
    p.deliver();
    p.during = () => {
      p.start();
      p.start();
    };
    assert.deepEqual(p.revoke(), []);
    assert.equal(p.words[CLAIMED], 2, 'the flag was never set');
    p.check();
  });

  test('a task with transferred buffers stops the take-back before it', () => {
    const p = new Pair();
    p.send(5, (seq) => seq === 3);
    p.deliver();
    assert.deepEqual(p.revoke(), [1, 2]);
    assert.equal(p.main.unstarted(p.lastSent), 3);
    assert.equal(p.start(), 3);
    assert.deepEqual(p.revoke(), [4, 5]);
    assert.equal(p.start(), 0);
    p.check();
  });

  test('nothing is taken when the next unstarted task is pinned', () => {
    const p = new Pair();
    p.send(2, (seq) => seq === 1);
    assert.deepEqual(p.revoke(), []);
    assert.equal(p.words[CLAIMED], 0);
  });

  test('the thread drops revoked tasks from anywhere in its queue', () => {
    const queueOf = (...seqs: number[]) => {
      const queue = new Fifo<{ seq: number }>();
      for (const seq of seqs) queue.push({ seq });
      return queue;
    };
    const seqs = (queue: Fifo<{ seq: number }>) => queue.drain().map((task) => task.seq);
    let queue = queueOf(2, 3, 5);
    dropRevoked(queue, 3);
    assert.deepEqual(seqs(queue), [5]);
    queue = queueOf(5);
    dropRevoked(queue, 0);
    assert.deepEqual(seqs(queue), [5]);
    queue = queueOf(2, 3, 5);
    dropRevoked(queue, 9);
    assert.deepEqual(seqs(queue), []);
  });

  test('seqs near MAX_SEQ keep clear of the flag bit', () => {
    const first = MAX_SEQ - 4;
    const p = new Pair(first);
    p.firstSeq = first;
    p.send(5);
    p.deliver();
    assert.equal(p.start(), first);
    assert.equal(p.main.running(p.outstanding), 1);
    assert.deepEqual(p.revoke(), [first + 1, first + 2, first + 3, MAX_SEQ]);
    assert.equal(p.main.hasStarted(first), true);
    assert.equal(p.main.hasStarted(first + 1), false);
    assert.equal(p.start(), 0);
    assert.equal(p.thread.droppedUpTo, MAX_SEQ);
    assert.equal(p.words[CLAIMED], first);
    p.check();
  });
});

describe('claims under random interleavings', () => {
  /** A small deterministic generator, so that a failure names its seed. */
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  test('no task both starts and is taken back, and none is lost', () => {
    for (let seed = 1; seed <= 1500; seed++) {
      const rand = random(seed);
      const p = new Pair();
      const threadStep = () => (rand() < 0.3 ? p.deliver() : p.start());
      try {
        for (let step = 0; step < 40; step++) {
          const r = rand();
          if (r < 0.25) p.send(1 + Math.floor(rand() * 3), () => rand() < 0.1);
          else if (r < 0.45) p.deliver();
          else if (r < 0.7) p.start();
          else if (r < 0.8) {
            const running = [...p.outstanding.keys()].filter((s) => p.main.hasStarted(s));
            if (running.length > 0)
              p.finish(running[Math.floor(rand() * running.length)] as number);
          } else {
            // Thread steps in the middle of the take-back, between its reads and its swaps.
            if (rand() < 0.5)
              p.during = () => {
                for (let i = Math.floor(rand() * 3); i >= 0; i--) threadStep();
              };
            p.revoke();
            p.during = null;
          }
          p.check();
        }
        // The thread reads everything and starts what is left: every task is accounted for.
        while (p.deliver());
        while (p.start() !== 0);
        p.check();
        const accounted = new Set([...p.started, ...p.takenBack]);
        assert.equal(accounted.size, p.lastSent, 'a task was lost');
      } catch (error) {
        throw new Error(`seed ${seed}: ${(error as Error).message}`, { cause: error });
      }
    }
  });
});
