/**
 * The queue of tasks waiting for a thread: a FIFO (fifo.ts) with front insertion for tasks a
 * thread gave back, and lazy removal: a task taken out of order (cancelled) is skipped when it
 * reaches the front, so cancelling costs nothing while the queue is long. It counts the map
 * chunks it holds that could be split into their items (see lastWavePieceSize in
 * dispatch-policy.ts), so that a pool with none (most pools, most of the time) never looks.
 */
import { MAX_CUT_BYTES, SerializedPayload } from '../protocol/serialized.js';
import { cutsChunk } from './dispatch-policy.js';
import { Fifo } from './fifo.js';
import { type Job, type Task, TaskState } from './task.js';

function isLive(task: Task): boolean {
  return task.state === TaskState.Queued && task.thread === null;
}

/**
 * A chunk of more than one item that its job allows to be cut (a map of the default chunksize: a
 * chunksize the caller chose is kept; not a piece cut before), with nothing that ties its items
 * together: no signal, timeout or onProgress, no buffers transferred; its items at hand, or
 * serialized in few enough bytes to read back cheaply (MAX_CUT_BYTES).
 */
export function isSplittable(task: Task): boolean {
  const job = task.job;
  return (
    task.calls > 1 &&
    job !== null &&
    job.split !== undefined &&
    job.splittable?.(task) === true &&
    task.control === undefined &&
    task.transfer === undefined &&
    (Array.isArray(task.payload) ||
      (task.payload instanceof SerializedPayload && task.payload.bytes.byteLength <= MAX_CUT_BYTES))
  );
}

export class TaskQueue {
  readonly #tasks = new Fifo<Task>();
  /** Live (not removed) tasks in the queue. */
  size = 0;
  /** Live tasks in the queue that isSplittable() holds for (counted as they come and go). */
  splittable = 0;

  push(task: Task): void {
    this.#tasks.push(task);
    this.size++;
    if (isSplittable(task)) this.splittable++;
  }

  /** Puts tasks back at the front, keeping their order. */
  unshiftAll(tasks: readonly Task[]): void {
    for (let i = tasks.length - 1; i >= 0; i--) {
      const task = tasks[i] as Task;
      this.#tasks.unshift(task);
      if (isSplittable(task)) this.splittable++;
    }
    this.size += tasks.length;
  }

  shift(): Task | undefined {
    const task = this.peek();
    if (!task) return undefined;
    this.#tasks.shift();
    this.size--;
    if (isSplittable(task)) this.splittable--;
    return task;
  }

  /** The oldest live task, left in the queue (removed ones before it are dropped). */
  peek(): Task | undefined {
    for (let task = this.#tasks.peek(); task; task = this.#tasks.peek()) {
      if (isLive(task)) return task;
      this.#tasks.shift();
    }
    return undefined;
  }

  /**
   * Marks a queued task as gone; the caller has already changed its state (so the task is asked
   * what it was before: a removed task is no longer live, and is dropped when it reaches the
   * front without being counted again).
   */
  removed(task: Task): void {
    this.size--;
    if (isSplittable(task)) this.splittable--;
  }

  /** The calls the live tasks queued stand for (a chunk's items each). Linear: for a short queue. */
  calls(): number {
    let calls = 0;
    for (let i = 0; i < this.#tasks.length; i++) {
      const task = this.#tasks.at(i) as Task;
      if (isLive(task)) calls += task.calls;
    }
    return calls;
  }

  /**
   * Replaces every splittable task queued that is worth cutting into pieces of `size` calls
   * (cutsChunk in dispatch-policy.ts) by its pieces, in place.
   */
  splitAll(size: number): void {
    const tasks = this.drain();
    const replaced: Task[] = [];
    for (const task of tasks) {
      if (cutsChunk(task.calls, size) && isSplittable(task)) {
        for (const piece of (task.job as Required<Job>).split(task, size)) replaced.push(piece);
      } else replaced.push(task);
    }
    this.unshiftAll(replaced);
  }

  /** Empties the queue, returning the live tasks in order. */
  drain(): Task[] {
    const tasks = this.#tasks.drain().filter(isLive);
    this.size = 0;
    this.splittable = 0;
    return tasks;
  }
}
