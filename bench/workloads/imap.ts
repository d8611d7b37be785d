// Workload 7: a lazy, ordered map over a long generator. spindle uses `imap` (default
// chunksize); the peers have no lazy map, so they get a loop that keeps a bounded window of
// single tasks in flight. The run stops early (breaking the loop) when the time budget is
// spent, so slow pools still finish; items/s is measured over what was done.
import type { BenchPool } from '../adapters/types.js';
import { boundedMap } from '../child/bounded.js';
import { expectEqual } from '../child/check.js';
import type { Measurement } from '../child/measurement.js';
import { loadPool } from '../child/pools.js';
import { RssSampler } from '../child/rss.js';
import type { ChildSpec } from '../shared/protocol.js';

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

function lazyMap(pool: BenchPool, source: Iterable<number>, window: number): AsyncIterable<number> {
  return pool.imapInc ? pool.imapInc(source) : boundedMap(source, (x) => pool.submit(x), window);
}

export async function run(spec: ChildSpec<'imap'>): Promise<Measurement> {
  const { items, budgetMs, window } = spec.params;
  const pool = (await loadPool(spec.pool)).create(spec.threads);
  let done = 0;
  for await (const r of lazyMap(pool, range(1000), window)) expectEqual('warm-up', r, ++done);

  const rss = new RssSampler().start(50);
  const t0 = performance.now();
  let count = 0;
  let capped = false;
  for await (const r of lazyMap(pool, range(items), window)) {
    if (r !== ++count) expectEqual(`result ${count - 1}`, r, count);
    if ((count & 0x3fff) === 0) {
      rss.sample();
      if (performance.now() - t0 > budgetMs) {
        capped = true;
        break;
      }
    }
  }
  const ms = performance.now() - t0;
  const { peakRssMb, growthMb } = rss.stop();
  const notes = [pool.imapInc ? 'native imap' : `bounded loop, ${window} tasks in flight`];
  if (capped) notes.push(`stopped at the ${budgetMs / 1000} s budget`);
  return {
    result: {
      metrics: { itemsPerSec: (count * 1000) / ms, items: count, rssGrowthMb: growthMb, peakRssMb },
      notes,
    },
    teardown: () => pool.destroy(),
  };
}
