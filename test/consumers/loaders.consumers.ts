// A TypeScript program whose task modules are TypeScript, under each way of running TypeScript:
// tsx (command, --import, NODE_OPTIONS, beside a plain-node program), Node's own type stripping,
// ts-node/esm (type-checking the program against spindle's declarations). `npm run
// test:consumers`.
import { describe, test } from 'node:test';
import { expectWorked, project, run, T, toolBin } from './harness.js';

const ON_THREADS = ['inline/2 2,3,4', 'ts-url/2 2,4,6', 'js-name/2 2,4,6'];
const EVERYWHERE = [...ON_THREADS, 'inline/0 2,3,4', 'ts-url/0 2,4,6', 'js-name/0 2,4,6'];

/** Node strips types by default (22.18+), or can with `--experimental-strip-types` (22.6+). */
const stripsByDefault = Boolean((process.features as { typescript?: unknown }).typescript);
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const canStrip = stripsByDefault || major > 22 || (major === 22 && minor >= 6);

describe('tsx', () => {
  test('the tsx command', T, () => {
    const dir = project('typescript-tasks', ['tsx']);
    expectWorked(run(dir, [toolBin('tsx'), 'main.ts']), EVERYWHERE);
  });

  test("NODE_OPTIONS='--import tsx'", T, () => {
    const dir = project('typescript-tasks', ['tsx']);
    expectWorked(run(dir, ['main.ts'], { NODE_OPTIONS: '--import tsx' }), EVERYWHERE);
  });

  test('plain node running JavaScript, with tsx installed beside the task module', T, () => {
    // With type stripping (Node >= 22.18), Node loads tasks.ts, fails on its `./scale.js` import,
    // and the thread loads it again with tsx.
    const result = run(project('typescript-tasks', ['tsx']), ['main.mjs']);
    expectWorked(result, ['inline/2 2,3,4', 'ts-url/2 2,4,6']);
  });
});

test("Node's own type stripping", {
  ...T,
  skip: canStrip ? false : `Node ${process.version} cannot strip types`,
}, () => {
  const dir = project('typescript-tasks');
  const flags = stripsByDefault ? [] : ['--experimental-strip-types'];
  const result = run(dir, [...flags, '--no-warnings', 'native.ts']);
  expectWorked(result, ['inline/2 2,3,4', 'ts-url/2 2,4,6', 'inline/0 2,3,4', 'ts-url/0 2,4,6']);
});

describe('ts-node', () => {
  const tools = ['ts-node', 'typescript', '@types/node'];

  test('node --loader ts-node/esm, type-checking the program', T, () => {
    const result = run(project('typescript-tasks', tools), ['--loader', 'ts-node/esm', 'main.ts']);
    expectWorked(result, EVERYWHERE);
  });

  test("ts-node/esm registered with module.register() (Node's advice), transpile-only", T, () => {
    const register =
      'data:text/javascript,import { register } from "node:module"; import { pathToFileURL } from "node:url"; register("ts-node/esm", pathToFileURL("./"));';
    const dir = project('typescript-tasks', tools);
    const result = run(dir, ['--import', register, 'main.ts'], { TS_NODE_TRANSPILE_ONLY: 'true' });
    expectWorked(result, EVERYWHERE);
  });
});
