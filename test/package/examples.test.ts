// Every program of examples/ but the port scanners and the demo, under tsx (see examples.ts).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ensureBuilt, examples, examplesDir, root, runExample } from './examples.js';

before(ensureBuilt);

it('every example has a test, and every test an example', () => {
  const files = readdirSync(examplesDir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => name.replace(/\.ts$/, ''))
    .sort();
  assert.deepEqual(files, examples.map((example) => example.name).sort());
});

describe('examples under tsx', { concurrency: 4 }, () => {
  for (const example of examples.filter((e) => !e.alone)) {
    it(example.name, () =>
      runExample(example, ['--import', 'tsx', join('examples', `${example.name}.ts`)], root),
    );
  }
});
