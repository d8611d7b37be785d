/**
 * One timer for many timed tasks. Tasks sent with the same limit within a short while join one
 * group, whose timer fires one limit after the group opened: none of its tasks can have run out
 * sooner (each was sent, so started, no sooner). A task leaves its group when it settles, in O(1)
 * (its place in the group is kept on it, and the last task takes it). A group left empty clears
 * its timer. A timer per task cost about a microsecond of the main thread's time per call (a
 * timeout then cost +30% over a plain call); joining a group costs a few array writes.
 */
import type { Task } from '../engine/task.js';

/** How long a group takes new tasks, as a part of its limit. */
const OPEN_PART = 1 / 8;

export class TimeoutGroup {
  readonly tasks: Task[] = [];
  readonly limit: number;
  /** Until when (`performance.now()`) it takes new tasks. */
  readonly openUntil: number;
  /** Cleared (and the group forgotten) once it holds no task. */
  timer: NodeJS.Timeout | undefined = undefined;

  constructor(limit: number, now: number) {
    this.limit = limit;
    this.openUntil = now + Math.max(1, limit * OPEN_PART);
  }
}

export class TimeoutGroups {
  /** The group taking new tasks, per limit. */
  readonly #open = new Map<number, TimeoutGroup>();
  /** The group's timer fired: these tasks (none settled) are due for a look. */
  readonly #due: (tasks: readonly Task[], limit: number) => void;

  constructor(due: (tasks: readonly Task[], limit: number) => void) {
    this.#due = due;
  }

  /**
   * Task (in no group) is due for a look in `limit` ms at the latest. `now`: `performance.now()`,
   * read once by the caller for all the tasks it sends.
   */
  add(task: Task, limit: number, now: number): void {
    let group = this.#open.get(limit);
    if (group === undefined || now >= group.openUntil) {
      const created = new TimeoutGroup(limit, now);
      // Not unref'd: on the main thread (threads: 0) a task awaiting its signal holds nothing else.
      created.timer = setTimeout(() => this.#fire(created), limit);
      this.#open.set(limit, created);
      group = created;
    }
    task.timeoutIndex = group.tasks.length;
    task.timeoutGroup = group;
    group.tasks.push(task);
  }

  /** The task leaves its group, if in one (it settled, or its start is known). */
  remove(task: Task): void {
    const group = task.timeoutGroup;
    if (group === undefined) return;
    task.timeoutGroup = undefined;
    const tasks = group.tasks;
    const last = tasks.pop() as Task;
    if (last !== task) {
      const index = task.timeoutIndex;
      tasks[index] = last;
      last.timeoutIndex = index;
    }
    if (tasks.length === 0) {
      clearTimeout(group.timer);
      group.timer = undefined;
      // Forgotten, so that calls each with a limit of its own leave nothing behind.
      if (this.#open.get(group.limit) === group) this.#open.delete(group.limit);
    }
  }

  /** How many groups are remembered as the one to join for their limit (for tests). */
  get size(): number {
    return this.#open.size;
  }

  #fire(group: TimeoutGroup): void {
    group.timer = undefined;
    if (this.#open.get(group.limit) === group) this.#open.delete(group.limit);
    const tasks = group.tasks.splice(0);
    for (const task of tasks) task.timeoutGroup = undefined;
    this.#due(tasks, group.limit);
  }
}
