/**
 * A program run under tsx (`node --import tsx`, the `tsx` command, `NODE_OPTIONS`) can give a
 * pool task modules written in TypeScript. Loading tsx in every thread at start-up would cost
 * each thread most of a second, most of them never import a `.ts` file: so the main thread starts
 * threads without it (see threads/exec-argv.ts), and a thread registers the same tsx itself, once,
 * before it first imports a task module. (tsx installs no hooks in a worker thread at start-up.)
 * Without tsx in the main thread, run/typescript-loader.ts looks for a loader per module.
 */
export async function typeScriptLoaderReady(tsxApi: string | null): Promise<void> {
  // If it fails, a TypeScript task module looks for another loader, or says what to do.
  if (!tsxApi) return;
  // Loaded only here, as the import machinery is (see function-cache.ts).
  const { registerTsx } = await import('../run/typescript-loader.js');
  await registerTsx(tsxApi);
}
