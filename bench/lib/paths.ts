// Where things are, relative to this file (bench/lib/).
import { fileURLToPath } from 'node:url';

export const ROOT_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
/** Compiled child-side scripts (git-ignored; under results/ so biome skips them too). */
export const BUILD_DIR = fileURLToPath(new URL('../results/.build/', import.meta.url));
export const PYTHON_SCRIPT = fileURLToPath(new URL('../python/bench.py', import.meta.url));
/** Where a full run writes the plots that docs/benchmarks.md shows. */
export const DOCS_PLOTS_DIR = fileURLToPath(new URL('../../docs/benchmarks/', import.meta.url));
