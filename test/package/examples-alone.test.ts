// The port scanners and the demo, under tsx, one at a time: they listen on ports and measure times.
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ensureBuilt, examples, root, runExample } from './examples.js';

before(ensureBuilt);

describe('port scanners and demo under tsx', () => {
  for (const example of examples.filter((e) => e.alone)) {
    it(example.name, () =>
      runExample(example, ['--import', 'tsx', join('examples', `${example.name}.ts`)], root),
    );
  }
});
