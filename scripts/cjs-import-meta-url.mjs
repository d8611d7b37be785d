// Injected into the CommonJS bundle, which has no `import.meta`: its `import.meta.url` becomes
// the URL of the bundle's own file, as in the ES module.
import { pathToFileURL } from 'node:url';

export const importMetaUrl = pathToFileURL(__filename).href;
