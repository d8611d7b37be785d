/**
 * A program run with `node --import tsx` can give a pool task modules written in TypeScript.
 * Loading tsx in every thread at start-up would cost each thread most of a second, most of
 * them never import a `.ts` file: so the main thread starts threads without it
 * (see threads/worker-thread.ts), and a thread installs tsx's hooks itself, once, before it first
 * imports a task module. (On Node 20 tsx would not install its hooks in a worker thread anyway.)
 */
let installing: Promise<void> | undefined;

export function typeScriptLoaderReady(wanted: boolean): Promise<void> {
  if (!wanted) return Promise.resolve();
  installing ??= (async () => {
    try {
      const api = (await import('tsx/esm/api' as string)) as { register?: () => unknown };
      api.register?.();
    } catch {
      // tsx is not resolvable from here: a TypeScript task module will say so when imported.
    }
  })();
  return installing;
}
