// What the parent (bench/run.ts) and a measuring child process (bench/child.ts or
// bench/python/bench.py) exchange: a spec as argv[2] (JSON), a result as one marked stdout line.

/** Node.js pools measured side by side, in the order they run in each round. */
export const NODE_POOLS = ['spindle', 'piscina', 'poolifier', 'tinypool', 'workerpool'] as const;
export type NodePool = (typeof NODE_POOLS)[number];

/** The peers spindle is compared with ("best peer" is the best of these). */
export const PEERS = [
  'piscina',
  'poolifier',
  'tinypool',
  'workerpool',
] as const satisfies readonly NodePool[];

/** Everything that can take part in a workload. `node-serial` is the main thread, no pool. */
export const PARTICIPANTS = [...NODE_POOLS, 'python', 'node-serial'] as const;
export type Participant = (typeof PARTICIPANTS)[number];

/** Sizes of each workload, chosen by the parent (full or --quick) and passed to the child. */
export interface WorkloadParams {
  throughput: { tasks: number; warmup: number };
  bulk: { items: number; warmup: number; repeatMs: number };
  latency: { warmup: number; trips: number };
  cpu: { tasks: number; n: number; repeats: number };
  startup: Record<string, never>;
  portscan: { host: string; ports: number[]; expectOpen: number[] };
  imap: { items: number; budgetMs: number; window: number };
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
] as const satisfies readonly WorkloadId[];

export interface ChildSpec<W extends WorkloadId = WorkloadId> {
  workload: W;
  pool: Participant;
  threads: number;
  params: WorkloadParams[W];
}

/** A child's measurement: named numbers (units in the metric name) and free-text notes. */
export interface ChildResult {
  metrics: Record<string, number>;
  notes?: string[];
}

/** Prefix of the one stdout line that carries the child's result as JSON. */
export const RESULT_MARKER = '@@spindle-bench-result@@ ';

/** Prefix of a stdout line saying that stopping the pool failed (after the result was printed). */
export const TEARDOWN_MARKER = '@@spindle-bench-teardown@@ ';
