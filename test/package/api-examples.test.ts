// Runs every example of the API reference (docs/api/, generated from the TSDoc of src/ and kept up
// to date by `npm run docs:check`), so that none can rot: each must run to its end against the
// built package, in one process under tsx as a user would paste it, with nothing on stderr.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RedisServer, redisAvailable } from '../redis/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const apiDir = join(root, 'docs', 'api');

interface ApiExample {
  /** Where it is shown: the page and the member, e.g. `classes/ThreadPool.md apply()`. */
  where: string;
  code: string;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? markdownFiles(path) : entry.name.endsWith('.md') ? [path] : [];
  });
}

/**
 * The code blocks under an "Example" heading of every page (not those of "Default value"), each
 * once: an inherited member shows its parent's example again.
 */
function apiExamples(): ApiExample[] {
  const examples = new Map<string, ApiExample>();
  for (const file of markdownFiles(apiDir).sort()) {
    let member = '';
    let inExample = false;
    let code: string[] | undefined;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (code) {
        if (line === '```') {
          const text = code.join('\n');
          if (!examples.has(text)) {
            examples.set(text, { where: `${relative(apiDir, file)} ${member}`.trim(), code: text });
          }
          code = undefined;
        } else code.push(line);
      } else if (/^#+ /.test(line)) {
        inExample = /^#+ Example$/.test(line);
        // a member's heading; a page's own sections (## Parameters, ## Example…) name none
        if (line.startsWith('### ')) member = line.slice(4);
        else if (line.startsWith('## ')) member = '';
      } else if (inExample && line === '```ts') code = [];
    }
  }
  return [...examples.values()];
}

/** Imports each example in turn, and reports on stderr how each went. */
const RUNNER = `
const count = Number(process.argv[2]);
for (let i = 0; i < count; i++) {
  process.stderr.write(\`@@start \${i}\\n\`);
  const stuck = setTimeout(() => {
    process.stderr.write('still running after 30 s\\n');
    process.exit(1);
  }, 30_000);
  try {
    await import(\`./example-\${i}.ts\`);
    process.stderr.write(\`@@ok \${i}\\n\`);
  } catch (error) {
    process.stderr.write(\`@@failed \${i} \${error?.stack ?? error}\\n\`);
  } finally {
    clearTimeout(stuck);
  }
}
`;

let dir = '';
let examples: ApiExample[] = [];
/** For `spindle/redis`'s examples that reach Redis: one of the test's own. */
let redisServer: RedisServer | undefined;
const EXAMPLES_REDIS = 'redis://127.0.0.1:6379';

before(async () => {
  // the examples import 'spindle', which is dist/ (`npm test` builds it first)
  assert.ok(existsSync(join(root, 'dist', 'lib', 'spindle.js')), 'run `npm run build` first');
  examples = apiExamples();
  // serve() connects: the examples' Redis is a redis-server of this test's own, with the module
  // they serve (./dist/tasks.js) in place. Without redis-server (and outside CI) they are left out.
  if (redisAvailable()) {
    redisServer = await RedisServer.start();
    const url = redisServer.url;
    examples = examples.map((example) => ({
      ...example,
      code: example.code.replaceAll(EXAMPLES_REDIS, url),
    }));
  } else {
    examples = examples.filter((example) => !/\bserve\(/.test(example.code));
  }
  dir = mkdtempSync(join(tmpdir(), 'spindle-api-examples-'));
  mkdirSync(join(dir, 'dist'));
  copyFileSync(join(root, 'test', 'fixtures', 'remote-tasks.mjs'), join(dir, 'dist', 'tasks.js'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'spindle'), 'dir');
  symlinkSync(join(root, 'node_modules', 'tsx'), join(dir, 'node_modules', 'tsx'), 'dir');
  copyFileSync(join(root, 'test', 'fixtures', 'api-example-tasks.ts'), join(dir, 'tasks.ts'));
  writeFileSync(join(dir, 'run.mjs'), RUNNER);
  examples.forEach((example, i) => {
    writeFileSync(join(dir, `example-${i}.ts`), `// ${example.where}\n${example.code}\n`);
  });
});

after(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await redisServer?.stop();
});

it('the API reference has examples to run', () => {
  // one per public method and option at least (scripts/docs-examples.mjs requires them)
  assert.ok(examples.length >= 100, `only ${examples.length} examples found in docs/api/`);
});

it('every example of the API reference runs to its end, with nothing on stderr', async () => {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--import', 'tsx', 'run.mjs', String(examples.length)], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);

  // Example i's part of stderr runs from `@@start i` to the next start: it must hold only `@@ok i`
  // (anything else is what the example printed there, or its error and stack).
  const done = new Set<number>();
  const problems: string[] = [];
  for (const part of stderr.split(/^(?=@@start )/m)) {
    const start = /^@@start (\d+)\n/.exec(part);
    if (!start) {
      if (part.trim() !== '') problems.push(`stderr: ${part}`);
      continue;
    }
    const i = Number(start[1]);
    const report = part.slice(start[0].length).trim();
    if (report === `@@ok ${i}`) done.add(i);
    else problems.push(`${examples[i]!.where}: ${report || 'did not finish'}`);
  }
  if (problems.length === 0 && done.size < examples.length) {
    problems.push(`only ${done.size} of ${examples.length} examples ran (exit code ${code})`);
  }
  assert.deepEqual(problems, []);
  assert.equal(code, 0);
});
