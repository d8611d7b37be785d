// spindle's declarations, as users' compilers see them: under TypeScript 5.4 and the current one
// (scripts/ci/oldest-typescript.sh checks the oldest supported, 5.0), an ES module project (strict,
// nodenext) type-checks with the declarations checked too (`skipLibCheck: false`), and a project
// compiled to CommonJS (`module: commonjs`) compiles and runs. `npm run test:consumers`.
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { expectWorked, project, run, T, toolDir } from './harness.js';

const COMPILERS = ['typescript-5.4', 'typescript'];

/** `tsc` of a devDependency (`typescript-5.4` is an alias of typescript@5.4). */
function tsc(compiler: string): string {
  return join(toolDir(compiler), 'bin', 'tsc');
}

for (const compiler of COMPILERS) {
  describe(`TypeScript ${compiler === 'typescript' ? 'current' : compiler.slice(11)}`, () => {
    test('an ES module project, strict and nodenext, type-checks', T, () => {
      const dir = project('typescript-tasks', ['@types/node']);
      const result = run(dir, [tsc(compiler), '-p', '.', '--noEmit', '--skipLibCheck', 'false']);
      expectWorked(result, []);
    });

    test('a CommonJS project (module: commonjs) compiles and runs', T, () => {
      const dir = project('typescript-commonjs', ['@types/node']);
      expectWorked(run(dir, [tsc(compiler), '-p', '.']), []);
      expectWorked(run(dir, [join('out', 'main.js')]), [
        'inline 2,3,4',
        'module 2,4,6',
        'timeout true',
      ]);
    });
  });
}
