// Command line of `npm run bench -- [options]`.
import { parseArgs } from 'node:util';
import {
  PARTICIPANTS,
  type Participant,
  WORKLOAD_IDS,
  type WorkloadId,
} from '../shared/protocol.js';

export interface Options {
  quick: boolean;
  threads: number;
  /** Overrides every workload's number of rounds. */
  rounds: number | undefined;
  workloads: WorkloadId[];
  pools: Participant[];
  build: boolean;
  out: string | undefined;
  /** The build the forms workload compares with: a git ref, `auto` or `none`. */
  baseline: string;
}

export const USAGE = `Usage: npm run bench -- [options]

  --quick             reduced sizes and one round (about two minutes)
  --threads N         threads per pool (default 2), and processes per process pool
  --rounds N          rounds per workload (default: per workload, see docs/benchmarks.md)
  --only LIST         workloads, by name or number: ${WORKLOAD_IDS.map((w, i) => `${i + 1}=${w}`).join(', ')}
  --pools LIST        participants: ${PARTICIPANTS.join(', ')}
  --no-build          do not rebuild dist/ when it is older than src/
  --out FILE          JSON results (default bench/results/latest.json)
  --baseline REF      the build the forms workload compares with: a git ref, \`auto\` (default:
                      the commit before src/engine/stats.ts appeared) or \`none\`
  -h, --help          this text
`;

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be an integer >= 1`);
  return n;
}

function list<T extends string>(name: string, text: string | undefined, all: readonly T[]): T[] {
  if (text === undefined) return [...all];
  const picked = text.split(',').map((item) => {
    const word = item.trim();
    const byNumber = all[Number(word) - 1];
    const found = /^\d+$/.test(word) ? byNumber : all.find((a) => a === word);
    if (found === undefined)
      throw new Error(`--${name}: unknown "${word}" (one of ${all.join(', ')})`);
    return found;
  });
  return all.filter((a) => picked.includes(a));
}

/** Parses argv; returns undefined after printing the usage for --help. */
export function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      threads: { type: 'string' },
      rounds: { type: 'string' },
      only: { type: 'string' },
      pools: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      out: { type: 'string' },
      baseline: { type: 'string', default: 'auto' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return undefined;
  }
  return {
    quick: values.quick,
    threads: positiveInt('threads', values.threads, 2),
    rounds: values.rounds === undefined ? undefined : positiveInt('rounds', values.rounds, 1),
    workloads: list('only', values.only, WORKLOAD_IDS),
    pools: list('pools', values.pools, PARTICIPANTS),
    build: !values['no-build'],
    out: values.out,
    baseline: values.baseline,
  };
}
