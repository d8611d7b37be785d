/**
 * The FIFO of tasks waiting for a thread: a growable ring buffer (no `Array.shift`), with
 * front insertion for tasks a thread gave back, and lazy removal: a task taken out of order
 * (cancelled) is skipped when it reaches the front.
 */
import { type Task, TaskState } from './task.js';

const INITIAL_CAPACITY = 16;

export class TaskQueue {
  #items: (Task | undefined)[] = new Array(INITIAL_CAPACITY);
  #head = 0;
  #length = 0;
  /** Live (not removed) tasks in the queue. */
  size = 0;

  push(task: Task): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = task;
    this.#length++;
    this.size++;
  }

  /** Puts tasks back at the front, keeping their order. */
  unshiftAll(tasks: Task[]): void {
    for (let i = tasks.length - 1; i >= 0; i--) {
      if (this.#length === this.#items.length) this.#grow();
      this.#head = (this.#head - 1) & (this.#items.length - 1);
      this.#items[this.#head] = tasks[i];
      this.#length++;
      this.size++;
    }
  }

  shift(): Task | undefined {
    const task = this.peek();
    if (!task) return undefined;
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#length--;
    this.size--;
    if (this.#length === 0) this.#shrink();
    return task;
  }

  /** The oldest live task, left in the queue (removed ones before it are dropped). */
  peek(): Task | undefined {
    while (this.#length > 0) {
      const task = this.#items[this.#head];
      if (task && task.state === TaskState.Queued && task.thread === null) return task;
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) & (this.#items.length - 1);
      this.#length--;
    }
    this.#shrink();
    return undefined;
  }

  /** Marks a queued task as gone; the caller has already changed its state. */
  removed(): void {
    this.size--;
  }

  /** Empties the queue, returning the live tasks in order. */
  drain(): Task[] {
    const tasks: Task[] = [];
    for (let task = this.shift(); task; task = this.shift()) tasks.push(task);
    this.#length = 0;
    this.size = 0;
    this.#shrink();
    return tasks;
  }

  /** Empty: a burst's large ring goes back to the allocator rather than stay for good. */
  #shrink(): void {
    if (this.#items.length > INITIAL_CAPACITY) this.#items = new Array(INITIAL_CAPACITY);
    this.#head = 0;
  }

  #grow(): void {
    const old = this.#items;
    const items = new Array<Task | undefined>(old.length * 2);
    for (let i = 0; i < this.#length; i++) items[i] = old[(this.#head + i) & (old.length - 1)];
    this.#items = items;
    this.#head = 0;
  }
}
