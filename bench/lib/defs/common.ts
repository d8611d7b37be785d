// What several workload definitions share.
import { NODE_POOLS } from '../../shared/protocol.js';
import type { MetricDef } from '../workloads.js';

export const count = (n: number): string => n.toLocaleString('en-US');

/** spindle and its peers (no raw-echo), and Python. */
export const POOLS_AND_PYTHON = [...NODE_POOLS.filter((p) => p !== 'raw-echo'), 'python'] as const;

export const peakRss: MetricDef = {
  key: 'peakRssMb',
  label: 'peak RSS MB',
  better: 'lower',
  format: 'mb',
};
