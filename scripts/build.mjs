// Builds dist/ from a clean slate: what the package ships, and nothing else.
//
//   dist/lib/spindle.js     the library as an ES module (import, and require() on Node >= 20.19)
//   dist/lib/spindle.cjs    the library as CommonJS (tools that cannot load an ES module: Jest, ...)
//   dist/lib/task.js        `spindle/task`, the task-side API, as an ES module (task.cjs: CommonJS)
//   dist/lib/redis.js       `spindle/redis`, the Redis backend and `serve()` (redis.cjs: CommonJS);
//                           bullmq and ioredis stay outside it (optional peer dependencies)
//   dist/lib/cli.js         the `spindle` command (`spindle worker`)
//   dist/worker/thread.cjs  the worker thread's entry, shared by both
//   dist/worker/child.cjs   a process pool's child process entry
//   dist/types/*.d.ts       declarations for the ES module; *.d.cts the same for CommonJS
//
// Each bundle has a source map with the TypeScript sources in it. Type errors fail the build.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });

// Declarations only: the JavaScript comes from esbuild, straight from src/.
execFileSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
  { cwd: root, stdio: 'inherit' },
);

/** Optional peer dependencies of `spindle/redis`: found where the user installed them. */
const REDIS_EXTERNAL = ['bullmq', 'ioredis', 'tsx'];

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  sourcesContent: true,
  logLevel: 'warning',
};

await Promise.all([
  build({
    ...common,
    entryPoints: ['src/worker/entry.ts'],
    format: 'cjs',
    external: ['tsx'],
    outfile: 'dist/worker/thread.cjs',
  }),
  // A process pool's child process runs the same task loop over its IPC channel.
  build({
    ...common,
    entryPoints: ['src/worker/child-entry.ts'],
    format: 'cjs',
    external: ['tsx'],
    outfile: 'dist/worker/child.cjs',
  }),
  build({
    ...common,
    entryPoints: ['src/index.ts'],
    format: 'esm',
    outfile: 'dist/lib/spindle.js',
  }),
  build({
    ...common,
    entryPoints: ['src/index.ts'],
    format: 'cjs',
    // CommonJS has no `import.meta`: its `import.meta.url` is the bundle's own file URL, as in the
    // ES module (so the worker entry is found beside it).
    inject: ['scripts/cjs-import-meta-url.mjs'],
    define: { 'import.meta.url': 'importMetaUrl' },
    outfile: 'dist/lib/spindle.cjs',
  }),
  // The task-side API: small, and apart from the library (a task module imports only this). It
  // meets the thread's runtime through a registered symbol on globalThis (src/run/task-context.ts).
  build({
    ...common,
    entryPoints: ['src/task/index.ts'],
    format: 'esm',
    outfile: 'dist/lib/task.js',
  }),
  build({
    ...common,
    entryPoints: ['src/task/index.ts'],
    format: 'cjs',
    outfile: 'dist/lib/task.cjs',
  }),
  // The Redis backend and the worker's serve(): loaded only by `spindle/redis`, so that the core
  // package never loads BullMQ. The core meets a backend through a registered symbol
  // (src/threads/backend.ts), so its own copies of spindle's modules do not matter.
  build({
    ...common,
    entryPoints: ['src/redis/index.ts'],
    format: 'esm',
    external: REDIS_EXTERNAL,
    outfile: 'dist/lib/redis.js',
  }),
  build({
    ...common,
    entryPoints: ['src/redis/index.ts'],
    format: 'cjs',
    external: REDIS_EXTERNAL,
    inject: ['scripts/cjs-import-meta-url.mjs'],
    define: { 'import.meta.url': 'importMetaUrl' },
    outfile: 'dist/lib/redis.cjs',
  }),
  build({
    ...common,
    entryPoints: ['src/cli/main.ts'],
    format: 'esm',
    external: REDIS_EXTERNAL,
    banner: { js: '#!/usr/bin/env node' },
    outfile: 'dist/lib/cli.js',
  }),
]);

// CommonJS declarations: each .d.ts again as .d.cts, its relative imports pointing at .cjs (which
// TypeScript resolves to the .d.cts beside it), so `require('spindle')` is typed as CommonJS.
const RELATIVE_JS = /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\.js\2/g;
function writeCjsDeclarations(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      writeCjsDeclarations(path);
    } else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8').replace(RELATIVE_JS, '$1$2$3.cjs$2');
      writeFileSync(path.replace(/\.d\.ts$/, '.d.cts'), text);
    }
  }
}
writeCjsDeclarations(join(dist, 'types'));

// Marks a complete build (scripts/build-if-stale.mjs compares its time with the sources').
writeFileSync(join(dist, '.built'), '');
