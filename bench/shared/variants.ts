// Variants that both sides name: the ways a user issues one task and waits for it, as the latency
// workload measures them (the row label is `spindle <form>`; bench/workloads/latency.ts maps each
// to its call), the task counts of the scaling workload and the rows of the forms workload.
export const LATENCY_FORMS = [
  'await apply()',
  'applyAsync().get()',
  'await applyAsync()',
  'submit().result()',
  'await submit()',
] as const;
export type LatencyForm = (typeof LATENCY_FORMS)[number];

/** The scaling workload's task counts, by variant name (the row label is `<pool> <name>`). */
export const SCALING_SIZES: Readonly<Record<string, number>> = {
  '10k': 10_000,
  '100k': 100_000,
  '1M': 1_000_000,
};

/** The rows of the forms workload (one child measures them all, round-robin). */
export const FORM_LANES = [
  'applyAsync',
  'applyAsync, timings: true',
  'applyAsync + signal',
  'applyAsync + timeout',
  'submit',
  'wait(futures)',
  'asCompleted(futures)',
  'map',
  'imap',
  'executor.map',
] as const;
export type FormLane = (typeof FORM_LANES)[number];
/** The extra row when the run has a baseline build to compare with. */
export const BASELINE_LANE = 'applyAsync, baseline build';
