/**
 * Where an installed package's file is, as `require.resolve` would find it from a given file.
 *
 * `createRequire` is reached through the namespace of `node:module`, not imported by name: a
 * bundler that sees `createRequire(from).resolve('pkg/file')` (webpack) resolves the specifier at
 * build time, warns when it cannot ("Can't resolve", "failed parsing argument") and replaces the
 * call with a module id. Here the lookup must happen where the program runs.
 */
import * as nodeModule from 'node:module';

/** The path of `specifier` resolved from the file `from`, or undefined if it is not installed. */
export function resolveInstalled(from: string, specifier: string): string | undefined {
  try {
    return nodeModule.createRequire(from).resolve(specifier);
  } catch {
    return undefined;
  }
}
