/**
 * The queue of tasks waiting for a thread: a FIFO (fifo.ts) with front insertion for tasks a
 * thread gave back, and lazy removal: a task taken out of order (cancelled) is skipped when it
 * reaches the front, so cancelling costs nothing while the queue is long.
 */
import { Fifo } from './fifo.js';
import { type Task, TaskState } from './task.js';

function isLive(task: Task): boolean {
  return task.state === TaskState.Queued && task.thread === null;
}

export class TaskQueue {
  readonly #tasks = new Fifo<Task>();
  /** Live (not removed) tasks in the queue. */
  size = 0;

  push(task: Task): void {
    this.#tasks.push(task);
    this.size++;
  }

  /** Puts tasks back at the front, keeping their order. */
  unshiftAll(tasks: readonly Task[]): void {
    for (let i = tasks.length - 1; i >= 0; i--) this.#tasks.unshift(tasks[i] as Task);
    this.size += tasks.length;
  }

  shift(): Task | undefined {
    const task = this.peek();
    if (!task) return undefined;
    this.#tasks.shift();
    this.size--;
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

  /** Marks a queued task as gone; the caller has already changed its state. */
  removed(): void {
    this.size--;
  }

  /** Empties the queue, returning the live tasks in order. */
  drain(): Task[] {
    const tasks = this.#tasks.drain().filter(isLive);
    this.size = 0;
    return tasks;
  }
}
