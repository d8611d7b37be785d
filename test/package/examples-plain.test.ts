// A few examples compiled to plain JavaScript and run by plain `node` against the built package.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compileExamples, ensureBuilt, examples, runExample } from './examples.js';

before(ensureBuilt);

describe('examples as plain JavaScript against the built package', { concurrency: 2 }, () => {
  let out = '';
  before(() => {
    out = compileExamples();
  });
  after(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });
  for (const example of examples.filter((e) => e.plain)) {
    it(example.name, () => runExample(example, [join('examples', `${example.name}.js`)], out));
  }
});
