// What the parent (bench/run.ts) and a measuring child process (bench/child.ts or
// bench/python/bench.py) exchange: a spec as argv[2] (JSON), a result as one marked stdout line.

/**
 * Node.js pools measured side by side, in the order they run in each round. `raw-echo` is no
 * pool: one worker thread echoing batched `postMessage`s, the floor any pool's throughput sits on.
 */
export const NODE_POOLS = [
  'spindle',
  'piscina',
  'poolifier',
  'tinypool',
  'workerpool',
  'raw-echo',
] as const;
export type NodePool = (typeof NODE_POOLS)[number];

/** The peers spindle is compared with ("best peer" is the best of these). */
export const PEERS = [
  'piscina',
  'poolifier',
  'tinypool',
  'workerpool',
] as const satisfies readonly NodePool[];

/** The pools measured on child processes (the processes workload): spindle and the peers that have a process mode. */
export const PROCESS_POOLS = [
  'spindle',
  'poolifier',
  'workerpool',
] as const satisfies readonly NodePool[];

/**
 * Everything that can take part in a workload. No pool in the last three: `node-serial` and
 * `node-main` are the main thread (calls one after another, or all at once), `raw-threads` bare
 * worker threads started for the job (the I/O workloads' floors, bench/child/no-pool.ts).
 */
export const PARTICIPANTS = [
  ...NODE_POOLS,
  'python',
  'node-serial',
  'node-main',
  'raw-threads',
] as const;
export type Participant = (typeof PARTICIPANTS)[number];

/** Sizes of each workload, chosen by the parent (full or --quick) and passed to the child. */
export interface WorkloadParams {
  /** `heapTasks`: tasks held in flight, untimed, to weigh each one on the heap. */
  throughput: { tasks: number; warmup: number; heapTasks: number };
  bulk: { items: number; warmup: number; repeatMs: number };
  latency: { warmup: number; trips: number };
  cpu: { tasks: number; n: number; repeats: number };
  startup: Record<string, never>;
  portscan: { host: string; ports: number[]; expectOpen: number[] };
  imap: { items: number; budgetMs: number; window: number };
  /** The variant is `W=<workers>`; the requests are max(minRequests, 2 × workers). */
  http: { host: string; port: number; delayMs: number; minRequests: number };
  /** Every form, blocks of `tasks` calls, `cycles` times round-robin in one process. */
  forms: {
    tasks: number;
    cycles: number;
    warmup: number;
    /** A second build of spindle to compare with, loaded in the same process. */
    baseline?: { url: string; ref: string };
  };
  /** The variant is the task count (throughput rows) or `imap` (one long lazy map). */
  scaling: { imapItems: number; imapBudgetMs: number };
  /**
   * Process pools (`--threads` processes each), all in one child: new pool → first result, then
   * (after `warmup` tasks) `tasks` tiny tasks issued at once, `trips` sequential round trips,
   * and `fibTasks` × fib(`fibN`) on that pool against a pool of one process, `fibRepeats`
   * alternating passes.
   */
  processes: {
    tasks: number;
    warmup: number;
    trips: number;
    fibTasks: number;
    fibN: number;
    fibRepeats: number;
  };
  /** `root`: the repository, which the workers run from (see bench/redis/measure.ts). */
  redis: { root: string };
}
export type WorkloadId = keyof WorkloadParams;
export const WORKLOAD_IDS = [
  'throughput',
  'bulk',
  'latency',
  'cpu',
  'startup',
  'portscan',
  'imap',
  'http',
  'forms',
  'scaling',
  'processes',
  'redis',
] as const satisfies readonly WorkloadId[];

export interface ChildSpec<W extends WorkloadId = WorkloadId> {
  workload: W;
  pool: Participant;
  /** Which form or size of the workload this child measures (see each workload). */
  variant?: string;
  threads: number;
  params: WorkloadParams[W];
}

/** A child's measurement: named numbers (units in the metric name) and free-text notes. */
export interface ChildResult {
  metrics: Record<string, number>;
  notes?: string[];
  /** A child that measures several forms in one process reports each as a row of its own. */
  lanes?: Record<string, Record<string, number>>;
}

/** Prefix of the one stdout line that carries the child's result as JSON. */
export const RESULT_MARKER = '@@spindle-bench-result@@ ';

/** Prefix of a stdout line saying that stopping the pool failed (after the result was printed). */
export const TEARDOWN_MARKER = '@@spindle-bench-teardown@@ ';
