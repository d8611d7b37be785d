// Each bundler, run through its API as a user's build script would, with the options a user
// would give it for a Node.js program; every one returns the warnings it reported, which the
// tests expect to be none.
import { cpSync } from 'node:fs';
import { join } from 'node:path';

export type Format = 'esm' | 'cjs';

export interface Bundle {
  /** The bundled program. */
  app: string;
  /** Its folder, with the task module copied beside it. */
  outDir: string;
  warnings: string[];
}

/** The file name of a program in `format`. */
function appName(format: Format): string {
  return format === 'esm' ? 'app.mjs' : 'app.cjs';
}

/** Task modules are files the threads import: they are shipped beside the bundle. */
function withTasks(dir: string, outDir: string, format: Format, warnings: string[]): Bundle {
  cpSync(join(dir, 'tasks.mjs'), join(outDir, 'tasks.mjs'));
  return { app: join(outDir, appName(format)), outDir, warnings };
}

/** `esbuild app.js --bundle --platform=node --format=…`. */
export async function esbuildBundle(
  dir: string,
  format: Format,
  entry = 'app.js',
): Promise<Bundle> {
  const { build } = await import('esbuild');
  const outDir = join(dir, `out-esbuild-${format}-${entry}`);
  const result = await build({
    entryPoints: [join(dir, entry)],
    bundle: true,
    platform: 'node',
    format,
    outfile: join(outDir, appName(format)),
    logLevel: 'silent',
    // The one step the README names for CommonJS bundles: spindle reads `import.meta.url` only
    // where it exists, and esbuild's warning that it is empty there is expected.
    ...(format === 'cjs' ? { logOverride: { 'empty-import-meta': 'silent' as const } } : {}),
  });
  return withTasks(
    dir,
    outDir,
    format,
    result.warnings.map((w) => w.text),
  );
}

/** webpack 5, `target: 'node'`, as a production build; ES module output where asked. */
export async function webpackBundle(
  dir: string,
  format: Format,
  entry = 'app.js',
): Promise<Bundle> {
  const { default: webpack } = await import('webpack');
  const outDir = join(dir, `out-webpack-${format}-${entry}`);
  const esm = format === 'esm';
  const compiler = webpack({
    mode: 'production',
    target: 'node',
    context: dir,
    entry: `./${entry}`,
    output: {
      path: outDir,
      filename: appName(format),
      ...(esm ? { module: true, chunkFormat: 'module' as const } : {}),
    },
    ...(esm ? { experiments: { outputModule: true } } : {}),
    optimization: { minimize: false },
  });
  const stats = await new Promise<import('webpack').Stats>((resolve, reject) => {
    compiler.run((error, result) => {
      compiler.close(() => {});
      if (error || !result) reject(error ?? new Error('webpack gave no result'));
      else resolve(result);
    });
  });
  const info = stats.toJson({ all: false, warnings: true, errors: true });
  if (info.errors?.length) throw new Error(info.errors.map((e) => e.message).join('\n'));
  return withTasks(
    dir,
    outDir,
    format,
    (info.warnings ?? []).map((w) => w.message),
  );
}

/** Rollup with @rollup/plugin-node-resolve and @rollup/plugin-commonjs, as for any Node program. */
export async function rollupBundle(dir: string, format: Format, entry = 'app.js'): Promise<Bundle> {
  const { rollup } = await import('rollup');
  const { nodeResolve } = await import('@rollup/plugin-node-resolve');
  const commonjsModule = await import('@rollup/plugin-commonjs');
  // Its declarations describe a CommonJS module (whose `default` is the module); it loads as ESM.
  const commonjs = commonjsModule.default as unknown as typeof commonjsModule.default.default;
  const warnings: string[] = [];
  const bundle = await rollup({
    input: join(dir, entry),
    plugins: [nodeResolve({ exportConditions: ['node'], preferBuiltins: true }), commonjs()],
    onwarn: (warning) => warnings.push(`${warning.code}: ${warning.message}`),
  });
  const outDir = join(dir, `out-rollup-${format}-${entry}`);
  try {
    await bundle.write({
      file: join(outDir, appName(format)),
      format: format === 'esm' ? 'es' : 'cjs',
    });
  } finally {
    await bundle.close();
  }
  return withTasks(dir, outDir, format, warnings);
}

/**
 * Vite's build for Node (`vite build --ssr app.js`). By default it leaves dependencies out of the
 * bundle (`bundled: false`); `ssr.noExternal: true` puts spindle in it.
 */
export async function viteBundle(
  dir: string,
  { bundled, entry = 'app.js' }: { bundled: boolean; entry?: string },
): Promise<Bundle> {
  const { build, createLogger } = await import('vite');
  const warnings: string[] = [];
  const logger = createLogger('warn');
  const outDir = join(dir, `out-vite-${bundled ? 'bundled' : 'external'}-${entry}`);
  await build({
    root: dir,
    configFile: false,
    logLevel: 'warn',
    customLogger: {
      ...logger,
      warn: (message) => warnings.push(message),
      warnOnce: (message) => warnings.push(message),
    },
    build: {
      ssr: entry,
      outDir,
      emptyOutDir: true,
      rollupOptions: { output: { entryFileNames: appName('esm') } },
    },
    ssr: { noExternal: bundled ? true : [] },
  });
  return withTasks(dir, outDir, 'esm', warnings);
}
